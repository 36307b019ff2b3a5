"""A tick of the SFTP sensor costs the same however many other files DPS's folder holds (it looks
up the two names DPS writes, it does not list the folder), and it ends its SSH connection the way
OpenSSH expects: DPS's sshd logs a disconnect, not "Connection reset by peer"."""

from __future__ import annotations

from dps_assets_tests.automation.test_sensor import Ticker
from dps_assets_tests.support.servers import OpenSshServer, known_hosts_entry, write_private_file
from dps_assets_tests.support.throttled_link import ThrottledLink

UNRELATED = 5_000


def tick_through_link(openssh_server, receiving_resources, dagster_instance, tmp_path) -> tuple[int, str]:
    """Bytes the server sent during one tick, and the tick's skip message."""
    with ThrottledLink(openssh_server.port, up_bytes_per_s=100_000_000) as link:
        pinned = write_private_file(tmp_path / f"known_hosts_{link.port}",
                                    known_hosts_entry(link.port, openssh_server.host_public_key))
        sftp = openssh_server.resource(port=link.port, known_hosts_file=str(pinned))
        resources = {**receiving_resources, "sftp": sftp}
        message = Ticker(dagster_instance, resources).tick().skip_message
        return link.counters.bytes_down, message


def test_a_tick_does_not_grow_with_the_folder(openssh_server, receiving_resources, dagster_instance, tmp_path):
    openssh_server.reset()
    empty, said = tick_through_link(openssh_server, receiving_resources, dagster_instance, tmp_path)
    assert said.startswith("waiting for DPS's answer: neither Dfps-missing-person-results.txt")
    for number in range(UNRELATED):
        (openssh_server.to_dfps_folder / f"unrelated_file_{number:05}.txt").write_bytes(b"x")
    crowded, said = tick_through_link(openssh_server, receiving_resources, dagster_instance, tmp_path)
    assert said.startswith("waiting for DPS's answer: neither Dfps-missing-person-results.txt")
    # A listing of 5,000 names would bring at least 5,000 x 40 bytes more; a look-up, none.
    assert abs(crowded - empty) < 1_000, (empty, crowded)


def test_a_tick_says_goodbye_to_the_server(receiving_resources, dagster_instance, tmp_path):
    # A server of its own: its log (the last lines sshd wrote) holds only these ticks.
    with OpenSshServer(tmp_path / "sshd") as server:
        resources = {**receiving_resources, "sftp": server.resource()}
        for _ in range(5):
            Ticker(dagster_instance, resources).tick()
        server.wait_for_sessions_to_end()
        log = server.log()
    assert log.count("Received disconnect") == 5
    assert "reset by peer" not in log
