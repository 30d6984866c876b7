"""A fake Kubernetes API server for the end-to-end tests: real HTTPS with the test CA
(certs/), bearer-token or client-certificate authentication, and just enough of the API for our
programs: nodes (get, list with a field selector, watch with resource versions, bookmarks, 410
Gone and dropped connections), pods (get), NFD NodeFeature objects (get, create, update with
conflicts), and for DRA: ResourceSlices (list and watch with spec.driver / spec.nodeName field
selectors, create with generateName, update with 409 on a stale resourceVersion, delete with uid
and resourceVersion preconditions, the API server's per-slice limits) and ResourceClaims (get,
list across namespaces).

Tests drive it directly (set_label, delete_node, expire_watches, drop_watches, add_claim,
delete_claim, delete_slices) and read what it received (requests, nodefeatures, slices)."""
import copy
import json
import random
import re
import socket
import string
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CERTS = Path(__file__).parent / "certs"
TOKEN = "nvdp-test-token"
PODS = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)$")
SLICES = re.compile(r"^/apis/resource\.k8s\.io/v1/resourceslices(?:/([^/]+))?$")
CLAIMS = re.compile(r"^/apis/resource\.k8s\.io/v1/(?:namespaces/([^/]+)/)?resourceclaims(?:/([^/]+))?$")
MAX_SLICE_DEVICES = 128
MAX_SLICE_DEVICES_WITH_TAINTS = 64
MAX_DEVICE_ATTRIBUTES_AND_CAPACITIES = 32
NODEFEATURES = re.compile(r"^/apis/nfd\.k8s-sigs\.io/v1alpha1/namespaces/([^/]+)/nodefeatures(?:/([^/]+))?$")


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason,
            "message": message}


class FakeApiServer:
    def __init__(self, token=TOKEN, bookmark_interval=0.5, tls12_ciphers=None):
        """tls12_ciphers: serve TLS 1.2 only, with these OpenSSL ciphers (to test TLS policies)."""
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.cond = threading.Condition()
        self.rv = 100
        self.nodes = {}          # name -> node object
        self.history = []        # (rv, type, node) for watches
        self.too_old_below = 0   # watches from an older version get 410 Gone
        self.generation = 0      # bumped to drop every open watch
        self.nodefeatures = {}   # (namespace, name) -> object
        self.pods = {}           # (namespace, name) -> object
        self.slices = {}         # name -> ResourceSlice
        self.slice_history = []  # (rv, type, slice) for watches
        self.claims = {}         # (namespace, name) -> ResourceClaim
        self.claims_down = False  # ResourceClaim requests answer 503 (an API server outage)
        self.claim_delay = 0.0    # seconds each ResourceClaim request waits before its answer
        self.requests = []       # (method, path, authenticated by)
        self.fail_next = []      # HTTP codes to answer the next requests with
        self.open_watches = 0
        self.connections = 0     # TCP connections accepted (kept-alive ones count once)
        self.sockets = []        # the accepted connections, for close_connections
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERTS / "server.crt", CERTS / "server.key")
        context.load_verify_locations(CERTS / "ca.crt")
        context.verify_mode = ssl.CERT_OPTIONAL
        if tls12_ciphers:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers(tls12_ciphers)
        server = self

        class Handler(_Handler):
            api = server

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        with self.cond:
            self.generation += 1
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- test controls ------------------------------------------------------------------------
    def _record(self, kind, obj, history=None):
        """Stores a copy of `obj` at the next resourceVersion in `history` (the nodes' by default),
        for the watches, and returns it."""
        self.rv += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        (self.history if history is None else history).append((self.rv, kind, obj))
        self.cond.notify_all()
        return obj

    def set_label(self, name, key, value):
        """Sets (value) or removes (None) a label of node `name`, creating the node if needed."""
        with self.cond:
            node = self.nodes.get(name) or {"kind": "Node", "apiVersion": "v1",
                                             "metadata": {"name": name, "uid": f"uid-node-{name}",
                                                          "labels": {}}}
            kind = "MODIFIED" if name in self.nodes else "ADDED"
            labels = node["metadata"].setdefault("labels", {})
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
            self.nodes[name] = self._record(kind, node)

    def delete_node(self, name):
        with self.cond:
            node = self.nodes.pop(name)
            self._record("DELETED", node)

    def expire_watches(self):
        """Compacts history: open watches get 410 Gone, so do watches from older versions."""
        with self.cond:
            self.too_old_below = self.rv + 1
            self.generation += 1
            self.cond.notify_all()

    def drop_watches(self):
        """Closes every open watch connection abruptly."""
        with self.cond:
            self.generation += 1
            self.cond.notify_all()

    def close_connections(self):
        """Closes every connection, kept-alive idle ones included (as an API server restart)."""
        with self.cond:
            sockets, self.sockets = self.sockets, []
            self.generation += 1
            self.cond.notify_all()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_for(self, predicate, timeout=5):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def watches(self):
        return [r for r in self.requests if r[0] == "GET" and "watch=1" in r[1]]

    # --- DRA ----------------------------------------------------------------------------------
    def _record_slice(self, kind, obj):
        return self._record(kind, obj, self.slice_history)

    def add_claim(self, namespace, name, uid, devices, driver="gpu.nvidia.com", allocated=True, config=None):
        """devices: [(request, pool, device)]; allocated=False leaves status.allocation out;
        config: status.allocation.devices.config entries, as the scheduler copies them."""
        with self.cond:
            self.rv += 1
            claim = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
                     "metadata": {"name": name, "namespace": namespace, "uid": uid,
                                  "resourceVersion": str(self.rv)},
                     "spec": {"devices": {"requests": []}}, "status": {}}
            if allocated:
                claim["status"]["allocation"] = {"devices": {"results": [
                    {"request": r, "driver": driver, "pool": p, "device": d} for r, p, d in devices]}}
                if config is not None:
                    claim["status"]["allocation"]["devices"]["config"] = config
            self.claims[(namespace, name)] = claim
            self.cond.notify_all()

    def delete_claim(self, namespace, name):
        with self.cond:
            self.claims.pop((namespace, name), None)

    def delete_slices(self, node=None):
        """As the kubelet at its start: deletes the node's (or every) ResourceSlice."""
        with self.cond:
            for name in [n for n, o in self.slices.items() if node is None or o["spec"].get("nodeName") == node]:
                self._record_slice("DELETED", self.slices.pop(name))

    def node_slices(self, node):
        with self.cond:
            return [copy.deepcopy(o) for o in self.slices.values() if o["spec"].get("nodeName") == node]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api = None  # set by FakeApiServer

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # As Go's net/http: no Nagle delay between a response's header and body writes.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.api.cond:
            self.api.connections += 1
            self.api.sockets.append(self.connection)

    def _auth(self):
        header = self.headers.get("Authorization", "")
        if header == f"Bearer {self.api.token}":
            return "token"
        cert = self.connection.getpeercert()
        if cert:
            return "client-certificate"
        return None

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length)) if length else None

    def _handle(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        auth = self._auth()
        with self.api.cond:
            self.api.requests.append((method, self.path, auth))
            self.api.cond.notify_all()
            fail = self.api.fail_next.pop(0) if self.api.fail_next else None
        if auth is None:
            return self._send(401, status(401, "Unauthorized", "Unauthorized"))
        if fail:
            return self._send(fail, status(fail, "InternalError", f"injected failure {fail}"))
        if url.path == "/api/v1/nodes" and method == "GET":
            return self._watch_nodes(query) if query.get("watch") in ("1", "true") else self._list_nodes(query)
        match = re.match(r"^/api/v1/nodes/([^/]+)$", url.path)
        if match and method == "GET":
            with self.api.cond:
                node = self.api.nodes.get(match.group(1))
            if node is None:
                return self._send(404, status(404, "NotFound", f'nodes "{match.group(1)}" not found'))
            return self._send(200, node)
        match = PODS.match(url.path)
        if match and method == "GET":
            with self.api.cond:
                pod = self.api.pods.get((match.group(1), match.group(2)))
            if pod is None:
                return self._send(404, status(404, "NotFound", f'pods "{match.group(2)}" not found'))
            return self._send(200, pod)
        match = NODEFEATURES.match(url.path)
        if match:
            return self._nodefeature(method, match.group(1), match.group(2))
        match = SLICES.match(url.path)
        if match:
            if method == "GET" and not match.group(1) and query.get("watch") in ("1", "true"):
                return self._watch(query, "slice_history", self._slice_selected, "ResourceSlice")
            return self._slice(method, match.group(1), query)
        match = CLAIMS.match(url.path)
        if match and method == "GET":
            return self._claim(match.group(1), match.group(2))
        return self._send(404, status(404, "NotFound", f"no route {method} {url.path}"))

    def _selected(self, query, node):
        selector = query.get("fieldSelector", "")
        if selector.startswith("metadata.name="):
            return node["metadata"]["name"] == selector.split("=", 1)[1]
        return True

    def _list_nodes(self, query):
        with self.api.cond:
            items = [n for n in self.api.nodes.values() if self._selected(query, n)]
            body = {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.api.rv)},
                    "items": copy.deepcopy(items)}
        self._send(200, body)

    def _chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch_nodes(self, query):
        return self._watch(query, "history", self._selected, "Node")

    def _watch(self, query, history, selected, kind_name):
        since = int(query.get("resourceVersion") or 0)
        bookmarks = query.get("allowWatchBookmarks") == "true"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
        except OSError:  # the client went away (a plugin stopped)
            self.close_connection = True
            return
        api = self.api
        with api.cond:
            generation = api.generation
            api.open_watches += 1
        try:
            if since and since < api.too_old_below:
                gone = status(410, "Expired", f"too old resource version: {since} ({api.too_old_below})")
                self._chunk(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            last_bookmark = time.monotonic()
            while True:
                with api.cond:
                    events = [(rv, kind, node) for rv, kind, node in getattr(api, history)
                              if rv > since and selected(query, node)]
                    if not events and api.generation == generation:
                        api.cond.wait(0.1)
                    dropped = api.generation != generation
                    expired = dropped and api.too_old_below > since
                    rv_now = api.rv
                for rv, kind, node in events:
                    self._chunk(json.dumps({"type": kind, "object": node}).encode() + b"\n")
                    since = rv
                if expired:
                    gone = status(410, "Expired", "too old resource version")
                    self._chunk(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if dropped:
                    self.connection.shutdown(2)  # abrupt: no final chunk
                    return
                if bookmarks and time.monotonic() - last_bookmark > api.bookmark_interval:
                    mark = {"kind": kind_name, "metadata": {"resourceVersion": str(rv_now)}}
                    self._chunk(json.dumps({"type": "BOOKMARK", "object": mark}).encode() + b"\n")
                    since = max(since, rv_now)
                    last_bookmark = time.monotonic()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with api.cond:
                api.open_watches -= 1
                api.cond.notify_all()
            self.close_connection = True

    def _nodefeature(self, method, namespace, name):
        api = self.api
        with api.cond:
            if method == "GET" and name:
                obj = api.nodefeatures.get((namespace, name))
                if obj is None:
                    return self._send(404, status(404, "NotFound", f'nodefeatures "{name}" not found'))
                return self._send(200, obj)
            body = self._body()
            if method == "POST" and not name:
                key = (namespace, body["metadata"]["name"])
                if key in api.nodefeatures:
                    return self._send(409, status(409, "AlreadyExists", "already exists"))
                api.rv += 1
                body["metadata"]["resourceVersion"] = str(api.rv)
                body["metadata"]["namespace"] = namespace
                api.nodefeatures[key] = body
                api.cond.notify_all()
                return self._send(201, body)
            if method == "PUT" and name:
                current = api.nodefeatures.get((namespace, name))
                if current is None:
                    return self._send(404, status(404, "NotFound", f'nodefeatures "{name}" not found'))
                if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
                    return self._send(409, status(409, "Conflict", "the object has been modified"))
                api.rv += 1
                body["metadata"]["resourceVersion"] = str(api.rv)
                api.nodefeatures[(namespace, name)] = body
                api.cond.notify_all()
                return self._send(200, body)
        return self._send(405, status(405, "MethodNotAllowed", method))

    def _slice_selected(self, query, obj):
        for term in filter(None, query.get("fieldSelector", "").split(",")):
            key, _, value = term.partition("=")
            field = {"spec.driver": obj["spec"].get("driver"), "spec.nodeName": obj["spec"].get("nodeName"),
                     "spec.pool.name": obj["spec"].get("pool", {}).get("name")}.get(key)
            if field != value:
                return False
        return True

    def _slice_invalid(self, obj):
        devices = obj.get("spec", {}).get("devices", [])
        if len(devices) > MAX_SLICE_DEVICES:
            return f"spec.devices: Too many: {len(devices)}: must have at most {MAX_SLICE_DEVICES} items"
        if any(d.get("taints") for d in devices) and len(devices) > MAX_SLICE_DEVICES_WITH_TAINTS:
            return (f"spec.devices: Too many: {len(devices)}: must have at most "
                    f"{MAX_SLICE_DEVICES_WITH_TAINTS} items when devices have taints")
        for device in devices:
            for taint in device.get("taints", []):
                if not taint.get("key") or taint.get("effect") not in ("NoSchedule", "NoExecute") \
                        or len(taint.get("value", "")) > 63:
                    return f"spec.devices[{device.get('name')}].taints: Invalid value: {taint}"
        for device in devices:
            count = len(device.get("attributes", {})) + len(device.get("capacity", {}))
            if count > MAX_DEVICE_ATTRIBUTES_AND_CAPACITIES:
                return (f"spec.devices[{device.get('name')}]: Too many: {count}: must have at most "
                        f"{MAX_DEVICE_ATTRIBUTES_AND_CAPACITIES} attributes and capacities combined")
        return None

    def _slice(self, method, name, query):
        api = self.api
        with api.cond:
            if method == "GET" and not name:
                items = [o for o in api.slices.values() if self._slice_selected(query, o)]
                return self._send(200, {"kind": "ResourceSliceList", "apiVersion": "resource.k8s.io/v1",
                                        "metadata": {"resourceVersion": str(api.rv)},
                                        "items": copy.deepcopy(items)})
            if method == "GET":
                if name not in api.slices:
                    return self._send(404, status(404, "NotFound", f'resourceslices "{name}" not found'))
                return self._send(200, api.slices[name])
            body = self._body()
            if method == "POST" and not name:
                meta = body.setdefault("metadata", {})
                if not meta.get("name"):
                    if not meta.get("generateName"):
                        return self._send(422, status(422, "Invalid", "metadata.name: Required value"))
                    meta["name"] = meta["generateName"] + "".join(random.choices(string.ascii_lowercase, k=5))
                if meta["name"] in api.slices:
                    return self._send(409, status(409, "AlreadyExists", "already exists"))
                invalid = self._slice_invalid(body)
                if invalid:
                    return self._send(422, status(422, "Invalid", invalid))
                meta["uid"] = f"uid-slice-{meta['name']}"
                api.slices[meta["name"]] = obj = api._record_slice("ADDED", body)
                return self._send(201, obj)
            if method == "PUT" and name:
                current = api.slices.get(name)
                if current is None:
                    return self._send(404, status(404, "NotFound", f'resourceslices "{name}" not found'))
                if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
                    return self._send(409, status(409, "Conflict", "the object has been modified"))
                invalid = self._slice_invalid(body)
                if invalid:
                    return self._send(422, status(422, "Invalid", invalid))
                body["metadata"]["uid"] = current["metadata"]["uid"]
                api.slices[name] = obj = api._record_slice("MODIFIED", body)
                return self._send(200, obj)
            if method == "DELETE" and name:
                current = api.slices.get(name)
                if current is None:
                    return self._send(404, status(404, "NotFound", f'resourceslices "{name}" not found'))
                pre = (body or {}).get("preconditions", {})
                for key in ("uid", "resourceVersion"):
                    if key in pre and pre[key] != current["metadata"][key]:
                        return self._send(409, status(409, "Conflict", f"Precondition failed: {key}"))
                api._record_slice("DELETED", api.slices.pop(name))
                return self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
        return self._send(405, status(405, "MethodNotAllowed", method))

    def _claim(self, namespace, name):
        api = self.api
        if api.claim_delay:
            time.sleep(api.claim_delay)
        if api.claims_down:
            return self._send(503, status(503, "ServiceUnavailable", "the server is currently unable to handle the request"))
        with api.cond:
            if name:
                claim = api.claims.get((namespace, name))
                if claim is None:
                    return self._send(404, status(404, "NotFound", f'resourceclaims.resource.k8s.io "{name}" not found'))
                return self._send(200, claim)
            items = [c for (ns, _), c in api.claims.items() if namespace in (None, ns)]
            return self._send(200, {"kind": "ResourceClaimList", "apiVersion": "resource.k8s.io/v1",
                                    "metadata": {"resourceVersion": str(api.rv)}, "items": copy.deepcopy(items)})

    def do_DELETE(self):
        self._handle("DELETE")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")


def kubeconfig(path, server, token=TOKEN, ca=CERTS / "ca.crt", client_cert=False):
    """Writes a kubeconfig for `server`; with client_cert, certificate auth instead of a token."""
    user = ({"client-certificate": str(CERTS / "client.crt"), "client-key": str(CERTS / "client.key")}
            if client_cert else {"token": token})
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
           "clusters": [{"name": "test", "cluster": {"server": server, "certificate-authority": str(ca)}}],
           "users": [{"name": "test", "user": user}],
           "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}]}
    Path(path).write_text(json.dumps(doc))  # JSON is YAML
    return str(path)
