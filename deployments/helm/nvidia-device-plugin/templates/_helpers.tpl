{{/* Names, as the upstream chart derives them. */}}
{{- define "nvidia-device-plugin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nvidia-device-plugin.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "nvidia-device-plugin.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{- define "nvidia-device-plugin.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nvidia-device-plugin.labels" -}}
helm.sh/chart: {{ include "nvidia-device-plugin.chart" . }}
{{ include "nvidia-device-plugin.templateLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "nvidia-device-plugin.templateLabels" -}}
app.kubernetes.io/name: {{ include "nvidia-device-plugin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Values.selectorLabelsOverride }}
{{ toYaml .Values.selectorLabelsOverride }}
{{- end }}
{{- end -}}

{{- define "nvidia-device-plugin.selectorLabels" -}}
{{- if .Values.selectorLabelsOverride -}}
{{ toYaml .Values.selectorLabelsOverride }}
{{- else -}}
{{ include "nvidia-device-plugin.templateLabels" . }}
{{- end -}}
{{- end -}}

{{- define "nvidia-device-plugin.fullimage" -}}
{{- $tag := printf "%s" .Chart.AppVersion -}}
{{- if .Values.image.tag -}}{{- $tag = .Values.image.tag -}}{{- end -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}

{{/* Whether config-manager manages the config file: a named or an inline ConfigMap. */}}
{{- define "nvidia-device-plugin.hasConfigMap" -}}
{{- if or .Values.config.name .Values.config.map -}}true{{- end -}}
{{- end -}}

{{- define "nvidia-device-plugin.configMapName" -}}
{{- if .Values.config.name -}}{{ .Values.config.name }}{{- else -}}{{ include "nvidia-device-plugin.fullname" . }}-configs{{- end -}}
{{- end -}}

{{/* The config named when a node has no label: config.default, else what the fallbacks pick. */}}
{{- define "nvidia-device-plugin.configDefault" -}}
{{- if .Values.config.default -}}
{{- .Values.config.default -}}
{{- else if and .Values.config.map (has "named" .Values.config.fallbackStrategies) (hasKey .Values.config.map "default") -}}
default
{{- else if and .Values.config.map (has "single" .Values.config.fallbackStrategies) (eq (len .Values.config.map) 1) -}}
{{- keys .Values.config.map | first -}}
{{- end -}}
{{- end -}}

{{/* NVIDIA_MIG_MONITOR_DEVICES=all when MIG may be used: a MIG strategy, or any ConfigMap. */}}
{{- define "nvidia-device-plugin.addMigMonitorDevices" -}}
{{- $result := false -}}
{{- if and .Values.migStrategy (ne (toString .Values.migStrategy) "none") -}}{{- $result = true -}}{{- end -}}
{{- if include "nvidia-device-plugin.hasConfigMap" . -}}{{- $result = true -}}{{- end -}}
{{- range $name, $text := .Values.config.map -}}
{{- $config := fromYaml $text -}}
{{- if and $config.flags $config.flags.migStrategy (ne (toString $config.flags.migStrategy) "none") -}}{{- $result = true -}}{{- end -}}
{{- end -}}
{{- if $result -}}true{{- end -}}
{{- end -}}

{{/* The device plugin container's securityContext (the upstream chart's four cases, first match
wins), plus root for the nonroot image unless runAsRoot is false. */}}
{{- define "nvidia-device-plugin.securityContext" -}}
{{- if .Values.securityContext -}}
{{ toYaml .Values.securityContext }}
{{- else -}}
{{- $ctx := dict -}}
{{- if and (kindIs "bool" .Values.compatWithCPUManager) .Values.compatWithCPUManager -}}
{{- $_ := set $ctx "privileged" true -}}
{{- else if or (include "nvidia-device-plugin.addMigMonitorDevices" .) (contains "volume-mounts" (toString .Values.deviceListStrategy)) -}}
{{- $_ := set $ctx "capabilities" (dict "add" (list "SYS_ADMIN")) -}}
{{- else -}}
{{- $_ := set $ctx "allowPrivilegeEscalation" false -}}
{{- $_ := set $ctx "capabilities" (dict "drop" (list "ALL")) -}}
{{- end -}}
{{- if .Values.runAsRoot -}}
{{- $_ := set $ctx "runAsUser" 0 -}}
{{- $_ := set $ctx "runAsGroup" 0 -}}
{{- end -}}
{{ toYaml $ctx }}
{{- end -}}
{{- end -}}

{{/* config-manager as the init container (once, before start) or the sidecar (on label changes,
signals `process`). Arguments (a list): root context, "init" or "sidecar", the process to signal,
the container name prefix, the securityContext of the container it serves (or nil). It needs no
privilege and no capability: it reads a ConfigMap, writes a symlink into an emptyDir and, as the
sidecar, signals a process of its own user (so it takes that container's runAsUser/runAsGroup). */}}
{{- define "nvidia-device-plugin.configManager" -}}
{{- $ := index . 0 -}}
{{- $mode := index . 1 -}}
{{- $served := default dict (index . 4) -}}
{{- $ctx := dict "allowPrivilegeEscalation" false "capabilities" (dict "drop" (list "ALL")) -}}
{{- if eq $mode "sidecar" -}}
{{- range $key := list "runAsUser" "runAsGroup" -}}
{{- if hasKey $served $key -}}{{- $_ := set $ctx $key (get $served $key) -}}{{- end -}}
{{- end -}}
{{- end -}}
- name: {{ index . 3 }}-{{ $mode }}
  image: {{ include "nvidia-device-plugin.fullimage" $ }}
  imagePullPolicy: {{ $.Values.image.pullPolicy }}
  command: ["config-manager"]
  env:
    - name: ONESHOT
      value: {{ eq $mode "init" | quote }}
    - name: KUBECONFIG
      value: ""
    - name: NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: NODE_LABEL
      value: "nvidia.com/device-plugin.config"
    - name: CONFIG_FILE_SRCDIR
      value: "/available-configs"
    - name: CONFIG_FILE_DST
      value: "/config/config.yaml"
    - name: DEFAULT_CONFIG
      value: {{ include "nvidia-device-plugin.configDefault" $ | quote }}
    - name: FALLBACK_STRATEGIES
      value: {{ join "," $.Values.config.fallbackStrategies | quote }}
    - name: SEND_SIGNAL
      value: {{ eq $mode "sidecar" | quote }}
    - name: SIGNAL
      value: {{ if eq $mode "sidecar" }}"1"{{ else }}""{{ end }}
    - name: PROCESS_TO_SIGNAL
      value: {{ if eq $mode "sidecar" }}{{ index . 2 | quote }}{{ else }}""{{ end }}
  securityContext:
    {{- toYaml $ctx | nindent 4 }}
  volumeMounts:
    - name: available-configs
      mountPath: /available-configs
    - name: config
      mountPath: /config
{{- end -}}

{{- define "nvidia-device-plugin.configVolumes" -}}
- name: available-configs
  configMap:
    name: {{ include "nvidia-device-plugin.configMapName" . }}
- name: config
  emptyDir: {}
{{- end -}}

{{/* The pod labels of one of the DaemonSets: upstream's (the selector's, shared by all three, so
`helm upgrade` from upstream's chart keeps every selector), plus app.kubernetes.io/component to
tell the pods apart. Arguments: root context, component name. */}}
{{- define "nvidia-device-plugin.podLabels" -}}
{{- $ := index . 0 -}}
{{ include "nvidia-device-plugin.templateLabels" $ }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}
