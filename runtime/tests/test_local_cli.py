"""The local invoker, run as `python3 -m mlfunc_runtime.local` in a subprocess."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from . import support


class LocalCliTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.input = os.path.join(self.tmp, "sample_input.json")
        shutil.copyfile(support.SAMPLE_JSON, self.input)

    def cli(self, *args, script=support.EXAMPLE_SCRIPT, model_dir=support.EXAMPLE_DIR, input_file=None,
            with_input=True):
        argv = [support.PYTHON, "-m", "mlfunc_runtime.local", "--script", script,
                "--model-dir", model_dir, *args]
        if with_input:
            argv += ["--input", input_file or self.input]
        return subprocess.run(argv, cwd=self.tmp, env=support.cli_env(), capture_output=True,
                              text=True, timeout=120)

    def blob_args(self, name="score-blob", output="output/{blobname}_out.json"):
        return ["--function", name, "--trigger", "blob", "--input-path", "input/{blobname}.json",
                "--output-path", output]

    def assertNoTraceback(self, proc):
        self.assertNotIn("Traceback", proc.stderr)
        self.assertNotIn("Traceback", proc.stdout)

    # seed payload through each trigger

    def test_http(self):
        proc = self.cli("--function", "score", "--trigger", "http")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        status, body = proc.stdout.split("\n", 1)
        self.assertEqual(status, "HTTP 200")
        support.assert_predictions(self, json.loads(body))
        self.assertIn("function=score trigger=http outcome=success status=200", proc.stderr)

    def test_blob_writes_file_named_by_pattern(self):
        proc = self.cli(*self.blob_args())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        written = os.path.join("out", "output", "sample_input_out.json")
        self.assertEqual(proc.stdout.strip(), written)
        with open(os.path.join(self.tmp, written), encoding="utf-8") as fh:
            support.assert_predictions(self, json.load(fh))

    def test_blob_custom_out_dir_and_tokens(self):
        # About the CLI's path handling only, so a script without a model: test_blob_writes_file_named_by_pattern
        # checks what the real score.py writes.
        renamed = os.path.join(self.tmp, "batch.2024.json")
        shutil.copyfile(support.SAMPLE_JSON, renamed)
        proc = self.cli("--function", "b", "--trigger", "blob", "--input-path", "in/{name}.{ext}",
                        "--output-path", "scored/{ext}/{name}.out", "--out", "results",
                        script=support.fixture("str_score.py"), input_file=renamed)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # Tokens capture greedily, like the host's blob path templates.
        self.assertEqual(proc.stdout.strip(), os.path.join("results", "scored", "json", "batch.2024.out"))
        self.assertTrue(os.path.isfile(os.path.join(self.tmp, proc.stdout.strip())))

    def test_service_bus_with_output_queue(self):
        proc = self.cli("--function", "score-sb", "--trigger", "serviceBus", "--output-queue", "scored")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header, body = proc.stdout.split("\n", 1)
        self.assertEqual(header, "Service Bus output for queue scored:")
        support.assert_predictions(self, json.loads(body))

    def test_service_bus_without_output_queue(self):
        proc = self.cli("--function", "score-sb", "--trigger", "serviceBus")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header, body = proc.stdout.split("\n", 1)
        self.assertEqual(header, "Service Bus message processed; no output queue configured. Result:")
        support.assert_predictions(self, json.loads(body))

    def test_script_prints_do_not_pollute_stdout(self):
        proc = self.cli("--function", "chatty", "--trigger", "http", script=support.fixture("chatty_score.py"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[0], "HTTP 200")
        self.assertEqual(json.loads(proc.stdout.split("\n", 1)[1]),
                         {"received": json.loads(support.sample_bytes())})
        self.assertIn("chatty_score: loading model", proc.stderr)

    # --method GET: health route without an input file

    def test_http_get_health_without_input(self):
        proc = self.cli("--function", "score", "--trigger", "http", "--method", "GET", with_input=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        status, body = proc.stdout.split("\n", 1)
        self.assertEqual(status, "HTTP 200")
        self.assertEqual(json.loads(body), {"status": "ok", "function": "score",
                                            "scoringScript": "score.py"})
        self.assertIn("function=score trigger=http outcome=health status=200", proc.stderr)

    def test_http_get_raw_script(self):
        proc = self.cli("--function", "raw", "--trigger", "http", "--method", "get",
                        script=support.fixture("raw_score.py"), with_input=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        status, body = proc.stdout.split("\n", 1)
        self.assertEqual(status, "HTTP 201")
        self.assertEqual(json.loads(body)["method"], "GET")

    def test_http_get_init_failure(self):
        empty = os.path.join(self.tmp, "model")
        os.mkdir(empty)
        proc = self.cli("--function", "score", "--trigger", "http", "--method", "GET",
                        model_dir=empty, with_input=False)
        self.assertEqual(proc.returncode, 1)
        status, body = proc.stdout.split("\n", 1)
        self.assertEqual(status, "HTTP 503")
        error = json.loads(body)
        self.assertEqual(error, support.generic_error("InitFailed", error["error"]["invocationId"]))
        self.assertNotIn("Traceback", proc.stdout)
        self.assertNotIn(empty, proc.stdout)
        # The developer still gets the detail on stderr.
        lines = proc.stderr.splitlines()
        summary = lines.index("error: init() of score.py failed: FileNotFoundError: [Errno 2] No such "
                              "file or directory: '%s/sklearn_regression_model.pkl' (model directory "
                              "%s is empty)" % (empty, empty))
        self.assertEqual(lines[summary + 1], "Traceback (most recent call last):")

    def test_method_rejected_for_blob(self):
        proc = self.cli("--method", "GET", *self.blob_args())
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "error: --method applies only to --trigger http, not --trigger blob")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))

    def test_input_required_for_post(self):
        for args in (["--trigger", "http"], ["--trigger", "http", "--method", "POST"],
                     ["--trigger", "serviceBus"]):
            proc = self.cli("--function", "f", *args, with_input=False)
            self.assertEqual(proc.returncode, 2, args)
            self.assertEqual(proc.stderr.strip(),
                             "error: --input is required (only --trigger http --method GET can omit it)")

    def test_bad_method_is_usage_error(self):
        proc = self.cli("--function", "f", "--trigger", "http", "--method", "PUT")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("invalid choice: 'PUT'", proc.stderr)
        self.assertNoTraceback(proc)

    # failures inside the script: exit 1, summary line, then the traceback

    def test_failing_run_blob_writes_nothing(self):
        proc = self.cli(*self.blob_args(), script=support.fixture("failing_score.py"))
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, "")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))
        lines = proc.stderr.splitlines()
        summary = lines.index("error: run() of failing_score.py failed: ValueError: bad feature vector")
        self.assertEqual(lines[summary + 1], "Traceback (most recent call last):")
        self.assertEqual(lines[-1], "ValueError: bad feature vector")

    def test_failing_run_http_body_has_no_traceback(self):
        proc = self.cli("--function", "score", "--trigger", "http", script=support.fixture("failing_score.py"))
        self.assertEqual(proc.returncode, 1)
        status, body = proc.stdout.split("\n", 1)
        self.assertEqual(status, "HTTP 500")
        error = json.loads(body)
        self.assertEqual(error, support.generic_error("RunFailed", error["error"]["invocationId"]))
        self.assertNotIn("Traceback", proc.stdout)
        self.assertNotIn("bad feature vector", proc.stdout)
        lines = proc.stderr.splitlines()
        summary = lines.index("error: run() of failing_score.py failed: ValueError: bad feature vector")
        self.assertEqual(lines[summary + 1], "Traceback (most recent call last):")
        self.assertEqual(lines[-1], "ValueError: bad feature vector")

    def test_missing_model_file(self):
        empty = os.path.join(self.tmp, "model")
        os.mkdir(empty)
        proc = self.cli("--function", "score", "--trigger", "serviceBus", model_dir=empty)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("error: init() of score.py failed: FileNotFoundError: [Errno 2] No such file or "
                      "directory: '%s/sklearn_regression_model.pkl' (model directory %s is empty)\n"
                      % (empty, empty), proc.stderr)

    def test_invalid_json_http(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as fh:
            fh.write('{"data": [1, 2,]}')
        # The runtime rejects the body before run() of any plain (undecorated) script, as score.py is, so
        # a plain script without a model stands in for it here.
        proc = self.cli("--function", "score", "--trigger", "http", script=support.fixture("str_score.py"),
                        input_file=bad)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout.splitlines()[0], "HTTP 400")
        self.assertIn("error: request body is not valid JSON: Expecting value: line 1 column 16 (char 15)",
                      proc.stderr)
        self.assertNoTraceback(proc)

    # user mistakes: exit 2, one line, no traceback

    def test_file_name_not_matching_pattern(self):
        proc = self.cli("--function", "b", "--trigger", "blob", "--input-path", "input/{name}.csv",
                        "--output-path", "out/{name}")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip().splitlines()[-1],
                         "error: input file name 'sample_input.json' does not match the blob path "
                         "pattern '{name}.csv'")
        self.assertNoTraceback(proc)

    def test_output_pattern_with_unknown_token(self):
        proc = self.cli(*self.blob_args(output="output/{other}.json"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("error: output path 'output/{other}.json' uses {other}, which the input path does "
                      "not define", proc.stderr)

    def test_output_path_escaping_out_dir(self):
        proc = self.cli(*self.blob_args(output="../{blobname}.json"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("error: --output-path must be a relative blob path without '..'", proc.stderr)

    def test_missing_script(self):
        proc = self.cli("--function", "f", "--trigger", "http", script=os.path.join(self.tmp, "nope.py"))
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "error: scoring script not found: %s"
                         % os.path.join(self.tmp, "nope.py"))

    def test_missing_model_dir(self):
        missing = os.path.join(self.tmp, "no-model")
        proc = self.cli("--function", "f", "--trigger", "http", model_dir=missing)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "error: model directory not found: %s" % missing)

    def test_missing_input(self):
        proc = self.cli("--function", "f", "--trigger", "http", input_file="absent.json")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "error: input file not found: absent.json")

    def test_blob_requires_output_path(self):
        proc = self.cli("--function", "f", "--trigger", "blob")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "error: --output-path is required for --trigger blob")

    def test_bad_trigger_is_usage_error(self):
        proc = self.cli("--function", "f", "--trigger", "queue")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("invalid choice: 'queue'", proc.stderr)
        self.assertNoTraceback(proc)


class PatternTest(unittest.TestCase):
    def test_match_and_fill(self):
        from mlfunc_runtime.local import UsageError, fill_path, match_blob_name

        values = match_blob_name("input/{blobname}.{blobextension}", "a.b.json")
        self.assertEqual(values, {"blobname": "a.b", "blobextension": "json"})
        self.assertEqual(fill_path("out/{blobname}-{{x}}.{blobextension}", values), "out/a.b-{x}.json")
        self.assertEqual(match_blob_name("c/{Name}", "x"), {"name": "x"})
        self.assertEqual(fill_path("o/{NAME}", {"name": "x"}), "o/x")
        self.assertEqual(match_blob_name("c/{n}-{n}", "ab-ab"), {"n": "ab"})
        with self.assertRaises(UsageError):
            match_blob_name("c/{n}-{n}", "ab-cd")


class MissingModuleTest(unittest.TestCase):
    """A module the script imports but this Python lacks: the interpreter and the right fixes."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name

    def requirements(self, text):
        path = os.path.join(self.tmp, "requirements.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def run_cli(self, requirements):
        argv = [support.PYTHON, "-m", "mlfunc_runtime.local", "--function", "f", "--trigger", "http",
                "--script", support.fixture("missing_module_score.py"), "--model-dir", self.tmp,
                "--input", support.SAMPLE_JSON, "--requirements", requirements]
        return subprocess.run(argv, cwd=self.tmp, env=support.cli_env(), capture_output=True, text=True,
                              timeout=120)

    def python_version(self):
        proc = subprocess.run([support.PYTHON, "-c", "import sys; print(sys.executable); "
                               "print('%d.%d.%d' % sys.version_info[:3])"], capture_output=True, text=True)
        return proc.stdout.split()

    def managed(self):
        from mlfunc_runtime.local import externally_managed

        return externally_managed(support.PYTHON)

    def test_listed_in_requirements_names_this_python_and_the_two_fixes(self):
        requirements = self.requirements("numpy==1.24.2\nmlfunc-no-such-package==2.0  # ours\n")
        proc = self.run_cli(requirements)
        python, version = self.python_version()
        self.assertEqual(proc.returncode, 1)
        if self.managed():
            self.assertIn(
                "error: could not import scoring script missing_module_score.py: module "
                "'mlfunc_no_such_package' is not installed in %s (Python %s), the Python running it; "
                "requirements.txt lists it (mlfunc-no-such-package==2.0), so the image will have it. %s is "
                "externally managed (PEP 668), so pip will not install into it; make a virtual environment "
                "with the model's requirements and point MLFUNC_PYTHON at it: %s -m venv ~/.venvs/mlfunc && "
                "~/.venvs/mlfunc/bin/pip install -r %s && export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python "
                "(on Debian/Ubuntu, apt-get install python3-venv first)\n" % (python, version, python, python, requirements),
                proc.stderr)
            return
        self.assertIn(
            "error: could not import scoring script missing_module_score.py: module "
            "'mlfunc_no_such_package' is not installed in %s (Python %s), the Python running it; "
            "requirements.txt lists it (mlfunc-no-such-package==2.0), so the image will have it: install "
            "it into that Python (%s -m pip install mlfunc-no-such-package==2.0), or set MLFUNC_PYTHON to "
            "a Python that has the model's requirements\n" % (python, version, python), proc.stderr)
        self.assertNotIn("add the package", proc.stderr)

    def test_missing_from_requirements_also_says_to_add_it(self):
        proc = self.run_cli(self.requirements("numpy==1.24.2\n"))
        python, version = self.python_version()
        self.assertEqual(proc.returncode, 1)
        if self.managed():
            self.assertIn("requirements.txt lists no package that provides it, so the image would lack it "
                          "too: add that package to requirements.txt, then %s is externally managed (PEP 668)"
                          % python, proc.stderr)
            return
        self.assertIn(
            "error: could not import scoring script missing_module_score.py: module "
            "'mlfunc_no_such_package' is not installed in %s (Python %s), the Python running it, and "
            "requirements.txt lists no package that provides it, so the image would lack it too: add that "
            "package to requirements.txt, then install it into that Python (%s -m pip install <package>), "
            "or set MLFUNC_PYTHON to a Python that has it\n" % (python, version, python), proc.stderr)

    def test_a_translated_environment_is_named_as_the_source(self):
        proc = self.run_cli(self.requirements(
            '# the first 1 line(s): model.environment "env/conda.yaml", translated from conda '
            '(docs/azureml-inputs.md)\nnumpy==2.3.1.*\nazure-functions\n'))
        python, version = self.python_version()
        self.assertEqual(proc.returncode, 1)
        head = ("error: could not import scoring script missing_module_score.py: module "
                "'mlfunc_no_such_package' is not installed in %s (Python %s), the Python running it, and "
                "requirements.txt (model.environment \"env/conda.yaml\" as translated, then model.requirements) "
                "lists no package that provides it, so the image would lack it too: add that package to "
                "model.requirements or the pip: list of \"env/conda.yaml\", then " % (python, version))
        if self.managed():
            self.assertIn(head + "%s is externally managed (PEP 668)" % python, proc.stderr)
            return
        self.assertIn(head + "install it into that Python (%s -m pip install <package>), or set MLFUNC_PYTHON "
                      "to a Python that has it\n" % python, proc.stderr)

    def test_without_a_requirements_file(self):
        proc = self.run_cli(os.path.join(self.tmp, "absent.txt"))
        python, version = self.python_version()
        if self.managed():
            self.assertIn("the Python running it: %s is externally managed (PEP 668), so pip will not install "
                          "into it; make a virtual environment with the model's requirements and point "
                          "MLFUNC_PYTHON at it: %s -m venv ~/.venvs/mlfunc && ~/.venvs/mlfunc/bin/pip install -r "
                          "requirements.txt && export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python (on Debian/Ubuntu, "
                          "apt-get install python3-venv first); the image installs only what requirements.txt "
                          "lists\n" % (python, python), proc.stderr)
            return
        self.assertIn(
            "error: could not import scoring script missing_module_score.py: module "
            "'mlfunc_no_such_package' is not installed in %s (Python %s), the Python running it: install "
            "it into that Python (%s -m pip install <package>), or set MLFUNC_PYTHON to a Python that has "
            "it; the image installs only what requirements.txt lists\n" % (python, version, python),
            proc.stderr)

    def test_both_hints_whatever_this_python_is(self):
        from mlfunc_runtime.local import missing_module_message

        req = self.requirements("inference-schema[numpy-support]==1.8\n")
        plain = missing_module_message("score.py", "inference_schema", req, python="/usr/bin/python3",
                                       version="3.11.2", managed=False)
        self.assertEqual(plain, "could not import scoring script score.py: module 'inference_schema' is not "
                         "installed in /usr/bin/python3 (Python 3.11.2), the Python running it; requirements.txt "
                         "lists it (inference-schema[numpy-support]==1.8), so the image will have it: install it "
                         "into that Python (/usr/bin/python3 -m pip install 'inference-schema[numpy-support]==1.8'), "
                         "or set MLFUNC_PYTHON to a Python that has the model's requirements")
        managed = missing_module_message("score.py", "inference_schema", req, python="/usr/bin/python3",
                                         version="3.11.2", managed=True)
        self.assertNotIn("-m pip install", managed)
        self.assertTrue(managed.endswith(
            "so the image will have it. /usr/bin/python3 is externally managed (PEP 668), so pip will not "
            "install into it; make a virtual environment with the model's requirements and point MLFUNC_PYTHON "
            "at it: /usr/bin/python3 -m venv ~/.venvs/mlfunc && ~/.venvs/mlfunc/bin/pip install -r %s && "
            "export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python (on Debian/Ubuntu, apt-get install python3-venv "
            "first)" % req), managed)

    def test_the_pep_668_marker_decides(self):
        import sysconfig
        from mlfunc_runtime.local import externally_managed

        marker = os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
        self.assertEqual(externally_managed(), marker)
        self.assertEqual(externally_managed(sys.executable), marker)

    def test_import_names_are_matched_to_the_packages_that_provide_them(self):
        from mlfunc_runtime.local import _requirement_for

        path = self.requirements("# pins\nscikit-learn==1.2.1\nPyYAML>=6\nazure-storage-blob\n"
                                 "-r other.txt\nJoblib ; python_version > '3'\n")
        self.assertEqual(_requirement_for("sklearn.linear_model", path), "scikit-learn==1.2.1")
        self.assertEqual(_requirement_for("yaml", path), "PyYAML>=6")
        self.assertEqual(_requirement_for("azure.storage.blob", path), "azure-storage-blob")
        self.assertEqual(_requirement_for("joblib", path), "Joblib ; python_version > '3'")
        self.assertEqual(_requirement_for("pandas", path), "")
        self.assertIsNone(_requirement_for("pandas", os.path.join(self.tmp, "absent.txt")))


if __name__ == "__main__":
    unittest.main()
