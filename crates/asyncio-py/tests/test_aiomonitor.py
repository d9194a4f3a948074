"""aiomonitor, unchanged, on asyncio_rs's loop: its web API lists the loop's tasks and cancels
one (issue 30's Python face). Outside CI a missing aiomonitor is a skip with a message; CI
installs it."""

import asyncio
import json
import os
import socket
import unittest
import urllib.parse
import urllib.request

import asyncio_rs

try:
    import aiomonitor
except ImportError:
    aiomonitor = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(method, url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


class Aiomonitor(unittest.TestCase):
    def setUp(self):
        if aiomonitor is None:
            if os.environ.get("CI"):
                self.fail("aiomonitor is missing, which CI installs")
            self.skipTest("aiomonitor is not installed (pip install aiomonitor)")

    def test_it_lists_the_loops_tasks_and_cancels_one(self):
        ports = {
            "port": free_port(),
            "webui_port": free_port(),
            "console_port": free_port(),
        }
        api = f"http://127.0.0.1:{ports['webui_port']}/api"

        async def main():
            loop = asyncio.get_running_loop()
            self.assertIsInstance(loop, asyncio_rs.EventLoop)
            with aiomonitor.start_monitor(loop, **ports):
                victim = asyncio.create_task(asyncio.sleep(3600), name="victim-task")
                bystander = asyncio.create_task(asyncio.sleep(3600), name="bystander")
                await asyncio.sleep(0)
                # The monitor answers from its own thread; ours keeps running meanwhile.
                listed = await asyncio.to_thread(
                    call,
                    "POST",
                    f"{api}/live-tasks",
                    {"filter": "", "persistent": "false"},
                )
                names = {t["name"]: t["task_id"] for t in listed["tasks"]}
                self.assertIn("victim-task", names)
                self.assertIn("bystander", names)
                answer = await asyncio.to_thread(
                    call,
                    "DELETE",
                    f"{api}/task?task_id={names['victim-task']}",
                )
                self.assertIn("cancelled", answer["msg"].lower())
                await asyncio.wait([victim], timeout=5)
                self.assertTrue(victim.cancelled())
                self.assertFalse(bystander.done())
                bystander.cancel()

        asyncio_rs.run(main())


if __name__ == "__main__":
    unittest.main()
