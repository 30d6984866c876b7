"""GetPreferredAllocation end to end: topology answers on simulated DGX machines, lost GPUs, and
the shared-device policies, through the kubelet emulator over real unix sockets."""
import itertools
import os
import subprocess

from harness import BIN, GPU, SIM_ROOT, E2ETest, profile

# Spec §5.3's DGX-1 Volta expectations (positions), for the requests upstream can answer.
DGX1_CASES = [
    ([0, 2, 4, 5], [], 2, [4, 5]),
    ([0, 4, 5, 6], [], 2, [5, 6]),
    ([0, 3, 1], [], 2, [0, 3]),
    ([0, 1, 4], [], 2, [0, 4]),
    (range(8), [4], 1, [4]),
    (range(8), [4], 2, [4, 7]),
    (range(8), [4], 4, [4, 5, 6, 7]),
    (range(8), [0, 2, 4, 6], 4, [0, 2, 4, 6]),
]

TIME_SLICING = "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 3}]}}\n"


class TopologyTest(E2ETest):
    def setUp(self):
        super().setUp()
        self.uuids = [g["uuid"] for g in profile("dgx1-v100")["gpus"]]

    def ids(self, positions):
        return ",".join(self.uuids[p] for p in positions)

    def preferred(self, emulator, available, must, size):
        command = f"preferred {GPU} {size} available={self.ids(available)}"
        if must:
            command += f" must={self.ids(must)}"
        return emulator.send(command)

    def test_dgx1_volta_answers_match_upstreams_expectations(self):
        emulator = self.emulator()
        self.plugin("dgx1-v100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        for available, must, size, expected in DGX1_CASES:
            with self.subTest(available=list(available), must=must, size=size):
                reply = self.assertReplyOk(self.preferred(emulator, available, must, size))
                self.assertEqual(reply["devices"], [self.uuids[p] for p in expected])

    def test_requests_upstream_answers_with_an_empty_list_get_errors(self):
        emulator = self.emulator()
        plugin = self.plugin("dgx1-v100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        for available, must, size, message in [
            (range(1, 8), [0, 1, 2, 3], 4, "must-include device " + self.uuids[0] + " is not available"),
            (range(8), [1, 2, 3, 4, 5, 6], 4, "6 must-include devices exceed the allocation size 4"),
            (range(3), [], 4, "not enough available devices: 3 available, 4 requested"),
        ]:
            with self.subTest(must=must, size=size):
                reply = self.preferred(emulator, available, must, size)
                self.assertFalse(reply["ok"])
                self.assertEqual(reply["code"], 3)  # INVALID_ARGUMENT
                self.assertIn(message, reply["error"])
        self.assertTrue(plugin.alive())

    def test_sixteen_gpus_keep_to_one_nvlink_board(self):
        emulator = self.emulator()
        self.plugin("v100-16gpu")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 16 healthy=16"))
        gpus = profile("v100-16gpu")["gpus"]
        board = {g["uuid"]: i // 8 for i, g in enumerate(gpus)}
        for size in (2, 4, 8):
            with self.subTest(size=size):
                reply = self.assertReplyOk(emulator.send(f"preferred {GPU} {size}"))
                self.assertEqual(len(reply["devices"]), size)
                self.assertEqual(len({board[d] for d in reply["devices"]}), 1, reply["devices"])

    def test_a_lost_gpu_is_left_out_and_the_others_still_get_answers(self):
        emulator = self.emulator()
        plugin = self.plugin("dgx1-v100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        plugin.inject("lost 5")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=7 timeout=3"))
        # The kubelet still offering GPU 5 (a race with ListAndWatch): it is passed over, and
        # {0,4} (two NVLinks) is the best pair left of {0,2,4}.
        reply = self.assertReplyOk(self.preferred(emulator, [0, 2, 4, 5], [], 2))
        self.assertEqual(reply["devices"], [self.uuids[0], self.uuids[4]])
        # The kubelet's own offer (the healthy GPUs) at every size.
        for size in range(1, 8):
            with self.subTest(size=size):
                reply = self.assertReplyOk(emulator.send(f"preferred {GPU} {size}"))
                self.assertEqual(len(reply["devices"]), size)
                self.assertNotIn(self.uuids[5], reply["devices"])
        self.assertReplyOk(emulator.send(f"allocate {GPU} 2"))
        self.assertTrue(plugin.alive())


class SharedPolicyTest(E2ETest):
    def start(self, *args, env=None):
        config = self.tmp / "config.yaml"
        config.write_text(TIME_SLICING)
        emulator = self.emulator()
        self.plugin("pcie-4xt4", args=["--config-file", str(config), *args], env=env)
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 12 healthy=12"))
        return emulator

    @staticmethod
    def gpus_of(devices):
        return [d.split("::")[0] for d in devices]

    def test_distributed_spreads_replicas_over_gpus(self):
        emulator = self.start()
        reply = self.assertReplyOk(emulator.send(f"preferred {GPU} 4"))
        self.assertEqual(len(set(self.gpus_of(reply["devices"]))), 4)

    def test_distributed_prefers_the_least_used_gpus(self):
        emulator = self.start()
        uuids = [g["uuid"] for g in profile("pcie-4xt4")["gpus"]]
        # GPUs 0 and 1 have replicas in use; 2 and 3 have none.
        available = [f"{uuids[0]}::2", f"{uuids[1]}::1", f"{uuids[1]}::2"] + \
                    [f"{u}::{r}" for u, r in itertools.product(uuids[2:], range(3))]
        reply = self.assertReplyOk(emulator.send(f"preferred {GPU} 2 available={','.join(available)}"))
        self.assertEqual(sorted(self.gpus_of(reply["devices"])), sorted(uuids[2:]))

    def test_packed_fills_one_gpu_first(self):
        emulator = self.start("--shared-devices-allocation-policy=packed")
        reply = self.assertReplyOk(emulator.send(f"preferred {GPU} 3"))
        self.assertEqual(len(set(self.gpus_of(reply["devices"]))), 1, reply["devices"])

    def test_packed_from_the_environment(self):
        emulator = self.start(env={"SHARED_DEVICES_ALLOCATION_POLICY": "packed"})
        reply = self.assertReplyOk(emulator.send(f"preferred {GPU} 2"))
        self.assertEqual(len(set(self.gpus_of(reply["devices"]))), 1, reply["devices"])

    def test_dry_run_names_the_policy(self):
        config = self.tmp / "config.yaml"
        config.write_text(TIME_SLICING)
        env = dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4")
        env.pop("LD_LIBRARY_PATH", None)
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                              "--config-file", str(config), "--shared-devices-allocation-policy=packed",
                              "--dry-run"], env=env, capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("preferred allocation packed", out.stdout)

    def test_an_unknown_policy_stops_the_start(self):
        plugin = self.plugin("pcie-4xt4", args=["--shared-devices-allocation-policy=spread"])
        self.assertEqual(plugin.wait(), 1)
        self.assertIn("invalid --shared-devices-allocation-policy: spread (distributed or packed)",
                      plugin.log())
