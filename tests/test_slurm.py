"""parbench.slurm without a cluster: commands, parsers, exclusivity and the one-line checks."""

import subprocess

import pytest
import slurm_jobs

from parbench import slurm
from parbench.errors import ParbenchError

# Text as SLURM 22.05 prints it (taken from the test cluster, plus a second node and partition).
SINFO = "vm|2|idle|debug*\nvm|2|idle|long\nbig|64|down*|long\ngone|8|drained|debug*\n"
SACCT = "7|COMPLETED|2|vm\n7.batch|COMPLETED|2|vm\n7.0|COMPLETED|1|vm\n8|COMPLETED|1|vm\n8.batch|COMPLETED|1|vm\n"
SCONTROL_EXCLUSIVE = """JobId=7 JobName=x
   UserId=root(0) GroupId=root(0) MCS_label=N/A
   JobState=RUNNING Reason=None Dependency=(null)
   ReqNodeList=(null) ExcNodeList=(null)
   NodeList=vm
   NumNodes=1 NumCPUs=2 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*
   MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0
   Features=(null) DelayBoot=00:00:00
   OverSubscribe=NO Contiguous=0 Licenses=(null) Network=(null)
"""
SCONTROL_SHARED = SCONTROL_EXCLUSIVE.replace("OverSubscribe=NO", "OverSubscribe=OK").replace("NumCPUs=2", "NumCPUs=1")


def fake_runner(outputs):
    """A runner answering by command name: str -> stdout, int -> exit code, exception -> raised."""
    calls = []

    def run(cmd, timeout):
        calls.append(list(cmd))
        answer = outputs[cmd[0]]
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, int):
            return subprocess.CompletedProcess(cmd, answer, "", "sinfo: error: Unable to contact slurm controller\n")
        return subprocess.CompletedProcess(cmd, 0, answer, "")

    run.calls = calls
    return run


def test_commands_are_the_documented_ones():
    assert slurm.sinfo_command() == ["sinfo", "-a", "-h", "-N", "-o", "%N|%c|%T|%P"]
    assert slurm_jobs.sacct_command("42") == [
        "sacct",
        "-j",
        "42",
        "--format=JobID,State,AllocCPUS,NodeList",
        "-P",
        "-n",
    ]
    assert slurm_jobs.scontrol_job_command(42) == ["scontrol", "show", "job", "42"]
    cmd = slurm.assoc_command("acct", "alice")
    assert cmd[:5] == ["sacctmgr", "-n", "-P", "show", "assoc"]
    assert "account=acct" in cmd and "user=alice" in cmd and cmd[-1] == "format=Cluster,Account,User"


def test_parse_sinfo_merges_partitions_and_reads_cpus_and_state():
    nodes = slurm.parse_sinfo(SINFO)
    assert set(nodes) == {"vm", "big", "gone"}
    assert nodes["vm"] == slurm.Node("vm", 2, "idle", ("debug", "long"))
    assert nodes["big"].cpus == 64
    assert nodes["vm"].ready and not nodes["big"].ready and not nodes["gone"].ready
    assert slurm.Node("n", 4, "mixed", ()).ready
    assert not slurm.Node("n", 4, "idle*", ()).ready  # not responding


@pytest.mark.parametrize("text", ["vm|2|idle\n", "vm|two|idle|debug\n"])
def test_parse_sinfo_refuses_malformed_lines(text):
    with pytest.raises(ParbenchError, match="sinfo line 1"):
        slurm.parse_sinfo(text)


def test_parse_assoc_needs_account_and_user():
    text = "parbench|parbench|root\nparbench|other|\n"
    assert slurm.parse_assoc(text, "parbench", "root")
    assert not slurm.parse_assoc(text, "other", "root")
    assert not slurm.parse_assoc("", "parbench", "root")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("00:12:00\n", 12), ("1-02:03:00", 1563), ("00:00:30", 1), ("UNLIMITED\n", None), ("Partition_Limit", None)],
)
def test_a_time_limit_is_read_in_whole_minutes(text, minutes):
    assert slurm_jobs.parse_time_limit(text) == minutes


@pytest.mark.parametrize(("text", "says"), [("12 minutes", "HH:MM:SS"), ("INVALID", "HH:MM:SS"), ("", "no record")])
def test_an_odd_time_limit_is_one_line(text, says):
    with pytest.raises(ParbenchError, match=says):
        slurm_jobs.parse_time_limit(text)


def test_parse_sacct_takes_the_job_line_not_its_steps():
    assert slurm_jobs.parse_sacct(SACCT, "7") == slurm_jobs.JobRecord("7", "COMPLETED", 2, "vm")
    assert slurm_jobs.parse_sacct(SACCT, "8").alloc_cpus == 1
    with pytest.raises(ParbenchError, match="no job 9"):
        slurm_jobs.parse_sacct(SACCT, "9")


def test_parse_scontrol_job_reads_fields_across_lines():
    fields = slurm_jobs.parse_scontrol_job(SCONTROL_EXCLUSIVE)
    assert fields["JobId"] == "7" and fields["OverSubscribe"] == "NO"
    assert fields["NodeList"] == "vm" and fields["ReqNodeList"] == "(null)"
    assert fields["CPUs/Task"] == "1" and fields["NumCPUs"] == "2"


def test_job_exclusive_from_sacct_or_scontrol():
    record = slurm_jobs.parse_sacct(SACCT, "7")
    assert slurm_jobs.job_exclusive(record, node_cpus=2)
    assert not slurm_jobs.job_exclusive(slurm_jobs.parse_sacct(SACCT, "8"), node_cpus=2)
    assert not slurm_jobs.job_exclusive(slurm_jobs.JobRecord("9", "COMPLETED", 4, "vm,vm2"), node_cpus=2)
    assert slurm_jobs.job_exclusive(scontrol=slurm_jobs.parse_scontrol_job(SCONTROL_EXCLUSIVE))
    assert not slurm_jobs.job_exclusive(scontrol=slurm_jobs.parse_scontrol_job(SCONTROL_SHARED))
    assert not slurm_jobs.job_exclusive()


def test_slurm_problem_none_when_node_and_account_are_fine():
    run = fake_runner({"sinfo": SINFO, "sacctmgr": "parbench|parbench|root\n"})
    assert slurm.slurm_problem(["vm"], "parbench", user="root", run=run) is None
    assert [c[0] for c in run.calls] == ["sinfo", "sacctmgr"]


@pytest.mark.parametrize(
    "answer, words",
    [
        (FileNotFoundError(), ["`sinfo` is not installed"]),
        (subprocess.TimeoutExpired("sinfo", 5), ["did not answer within 5 s"]),
        (1, ["failed (exit 1", "Unable to contact slurm controller"]),
    ],
)
def test_slurm_problem_names_an_unreachable_slurm(answer, words):
    line = slurm.slurm_problem(["vm"], "parbench", user="root", run=fake_runner({"sinfo": answer}), timeout=5)
    assert line.startswith("SLURM is not reachable") and "\n" not in line
    for word in words:
        assert word in line


def test_a_controller_that_did_not_answer_is_not_waited_for_twice():
    # A dry run asks sinfo for the plan's node CPUs and again for the line a run would stop with.
    run = fake_runner({"sinfo": subprocess.TimeoutExpired("sinfo", 5)})
    with pytest.raises(ParbenchError, match="did not answer within 5 s"):
        slurm.cluster_nodes(run=run, timeout=5)
    line = slurm.slurm_problem(["vm"], "parbench", user="root", run=run, timeout=5)
    assert line.startswith("SLURM is not reachable") and "did not answer within 5 s" in line
    assert len(run.calls) == 1
    answering = fake_runner({"sinfo": SINFO, "sacctmgr": "parbench|parbench|root\n"})
    assert slurm.slurm_problem(["vm"], "parbench", user="root", run=answering) is None  # another runner asks


def test_slurm_problem_names_a_partition_sbatch_would_refuse():
    run = fake_runner({"sinfo": SINFO, "sacctmgr": "parbench|parbench|root\n"})
    line = slurm.slurm_problem(["vm"], "parbench", user="root", run=run, partition="nope")
    assert line.startswith("host vm: SLURM partition 'nope' does not exist (its partitions: debug, long)")
    assert "cluster.partition" in line and "\n" not in line
    line = slurm.slurm_problem(["gone"], "parbench", user="root", run=run, partition="long")
    assert "host gone:" in line and "is drained" in line  # a node that cannot start jobs is said first
    run = fake_runner({"sinfo": "vm|2|idle|debug*\nbig|64|idle|long\n", "sacctmgr": "parbench|parbench|root\n"})
    line = slurm.slurm_problem(["vm"], "parbench", user="root", run=run, partition="long")
    assert line.startswith("host vm: SLURM node 'vm' is not in partition 'long' (it is in debug)")
    assert slurm.slurm_problem(["vm"], "parbench", user="root", run=run, partition="debug") is None
    assert slurm.slurm_problem(["vm"], "parbench", user="root", run=run, partition="long,debug") is None  # a list
    line = slurm.slurm_problem(["vm"], "parbench", user="root", run=run, partition="long,nope")
    assert "partition 'nope' does not exist" in line
    assert slurm.slurm_problem(["vm", "big"], "parbench", user="root", run=run) is None  # none named: sbatch's own


def test_slurm_problem_names_unknown_and_down_nodes():
    run = fake_runner({"sinfo": SINFO, "sacctmgr": "parbench|parbench|root\n"})
    line = slurm.slurm_problem(["nosuch"], "parbench", user="root", run=run)
    assert "'nosuch' is not in this cluster" in line and "big, gone, vm" in line and "\n" not in line
    line = slurm.slurm_problem(["big"], "parbench", user="root", run=run)
    assert "'big' is down*" in line and "State=RESUME" in line
    assert line.startswith("host big: SLURM node 'big'")


def test_slurm_problem_asks_sinfo_once_for_all_the_nodes_and_names_the_first_bad_one():
    run = fake_runner({"sinfo": SINFO, "sacctmgr": "parbench|parbench|root\n"})
    assert slurm.slurm_problem(["vm", "nosuch", "big"], "parbench", user="root", run=run).startswith(
        "host nosuch: SLURM node 'nosuch' is not in this cluster"
    )
    assert [c[0] for c in run.calls] == ["sinfo"]
    run.calls.clear()
    assert slurm.slurm_problem(["vm", "vm"], "parbench", user="root", run=run) is None
    assert [c[0] for c in run.calls] == ["sinfo", "sacctmgr"]


def test_slurm_problem_names_a_refused_account():
    run = fake_runner({"sinfo": SINFO, "sacctmgr": ""})
    line = slurm.slurm_problem(["vm"], "nope", user="root", run=run)
    assert line.startswith("SLURM refuses account 'nope' for user 'root'") and "\n" not in line
    # The config's cluster.account is what a node's jobs are submitted with, not the profile's slurm_account.
    assert "set the config's cluster.account (`--config 'cluster={account: A}'`)" in line
    assert run.calls[-1] == slurm.assoc_command("nope", "root")


def test_slurm_problem_without_node_checks_only_reachability_and_account():
    run = fake_runner({"sinfo": "", "sacctmgr": "c|parbench|root\n"})
    assert slurm.slurm_problem([], "parbench", user="root", run=run) is None


def test_node_options_pin_a_job_and_make_a_measurement_exclusive():
    assert slurm.node_options("n1") == "--nodelist=n1"
    assert slurm.node_options("n1", exclusive=True) == "--exclusive --nodelist=n1"
    assert slurm.node_options(None, exclusive=True) == ""


def test_wrappers_raise_one_line_errors():
    with pytest.raises(ParbenchError, match="not reachable"):
        slurm.cluster_nodes(run=fake_runner({"sinfo": 1}))
    assert slurm.cluster_nodes(run=fake_runner({"sinfo": SINFO}))["vm"].cpus == 2
    assert slurm_jobs.job_record("7", run=fake_runner({"sacct": SACCT})).alloc_cpus == 2
    assert slurm_jobs.job_fields("7", run=fake_runner({"scontrol": SCONTROL_EXCLUSIVE}))["OverSubscribe"] == "NO"
