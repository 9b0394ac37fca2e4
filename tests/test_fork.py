"""A Router inherited across os.fork(): the child's own decisions are kept, the parent's stay the parent's."""

from __future__ import annotations

import os
import tempfile
import unittest

from antaris_like import Router


@unittest.skipUnless(hasattr(os, "fork"), "os.fork is POSIX only")
class ForkTest(unittest.TestCase):
    def test_child_routes_and_reports_before_its_first_flush(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = Router(workspace=tmp)
            try:
                parent = [router.route(f"Parent prompt number {i} about databases.") for i in range(5)]
                pid = os.fork()
                if pid == 0:  # the child: exit codes carry the verdict
                    code = 1
                    try:
                        first = router.route("Child prompt about compilers.")
                        router.report_outcome(first.prompt_hash, quality_score=1.0, success=True)
                        second = router.route("Another child prompt about linkers.")
                        router.flush()
                        code = 0 if router.outcomes.decision(second.prompt_hash).model == second.model else 2
                    finally:
                        os._exit(code)
                _, status = os.waitpid(pid, 0)
                self.assertEqual(os.waitstatus_to_exitcode(status), 0)
                router.flush()
                for decision in parent:  # written once, by the parent
                    self.assertEqual(router.outcomes.decision(decision.prompt_hash).model, decision.model)
                rows = router.outcomes._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
                self.assertEqual(rows, len(parent) + 2)  # the parent's five and the child's two, no copies
            finally:
                router.close()


if __name__ == "__main__":
    unittest.main()
