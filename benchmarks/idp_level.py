"""Reading a large identity export: a System Log of a million events, as `GET /api/v1/logs` pages saved
into one JSON array, read by `read_export` in a process of its own (its time, and its peak memory, which
must stay bounded: sign-ins become tallies as they stream, no event is kept).

Issue 16's targets: under 150 MB, and 50,000 events a second or better (20 s for a million).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Measure, Results, Stats

EVENTS = 1_000_000
PEOPLE = 5_000
APPS = 50
MEMORY_TARGET = 150e6

# One LogEvent as the API writes it (fields from the LogEvent object's documentation), about 1.3 kB.
EVENT = (
    '{"actor":{"id":"00u%(person)017d","type":"User","alternateId":"person%(person)d@agency.gov",'
    '"displayName":"Person %(person)d","detailEntry":null},"client":{"userAgent":{"rawUserAgent":'
    '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%(agent)d.0",'
    '"os":"Windows 10","browser":"CHROME"},"zone":"null","device":"Computer","id":null,"ipAddress":'
    '"10.%(a)d.%(b)d.%(c)d","geographicalContext":{"city":"Washington","state":"District of Columbia",'
    '"country":"United States","postalCode":"20001","geolocation":{"lat":38.9,"lon":-77.0}}},'
    '"device":null,"authenticationContext":{"authenticationProvider":null,"credentialProvider":null,'
    '"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0,"rootSessionId":'
    '"102%(event)012d","externalSessionId":"102%(event)012d"},"displayMessage":"%(message)s",'
    '"eventType":"%(type)s","outcome":{"result":"%(result)s","reason":null},"published":'
    '"2026-%(month)02d-%(day)02dT%(hour)02d:%(minute)02d:00.000Z","securityContext":{"asNumber":64500,'
    '"asOrg":"agency","isp":"agency","domain":"agency.gov","isProxy":false},"severity":"INFO",'
    '"debugContext":{"debugData":{"requestId":"req%(event)d","requestUri":"/app/sso/saml",'
    '"url":"/app/sso/saml?","grantType":"%(grant)s"}},"legacyEventType":"app.auth.sso","transaction":'
    '{"type":"WEB","id":"tx%(event)d","detail":{}},"uuid":"u%(event)d","version":"0",'
    '"request":{"ipChain":[{"ip":"10.%(a)d.%(b)d.%(c)d","version":"V4","source":null}]},'
    '"target":[{"id":"0oa%(app)017d","type":"AppInstance","alternateId":"App %(app)d",'
    '"displayName":"App %(app)d","detailEntry":null},{"id":"0ua%(person)017d","type":"AppUser",'
    '"alternateId":"person%(person)d@agency.gov","displayName":"Person %(person)d","detailEntry":null}]}'
)
KINDS = (  # (eventType, displayMessage, grantType) by share of the events
    ("user.authentication.sso", "User single sign on to app", ""),
    ("user.authentication.sso", "User single sign on to app", ""),
    ("user.authentication.sso", "User single sign on to app", ""),
    ("app.oauth2.as.token.grant", "OAuth2 access token is granted", "refresh_token"),
    ("user.session.start", "User login to Okta", ""),
    ("policy.evaluate_sign_on", "Evaluation of sign-on policy", ""),
)


def measures() -> list[Measure]:
    return [
        Measure("idp.read", "idp: read a 1M-event System Log (`read_export`)", "time", {"1M": EVENTS / 50_000}),
        Measure("idp.memory", "idp: peak memory reading the 1M-event System Log", "memory", {"1M": MEMORY_TARGET}),
    ]


def write_system_log(path: Path, events: int = EVENTS) -> None:
    """A JSON array of `events` LogEvents: sign-ins of PEOPLE people to APPS apps over 90 days."""
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for event in range(events):
            kind, message, grant = KINDS[event % len(KINDS)]
            values = {
                "event": event,
                "person": (event * 7919) % PEOPLE,
                "app": (event * 31) % APPS,
                "agent": 100 + event % 20,
                "a": event % 200,
                "b": (event // 200) % 250,
                "c": event % 7,
                "type": kind,
                "message": message,
                "grant": grant,
                "result": "FAILURE" if event % 50 == 0 else "SUCCESS",
                "month": 7 + (event * 3 // events),
                "day": 1 + event % 28,
                "hour": event % 24,
                "minute": event % 60,
            }
            out.write(EVENT % values)
            out.write(",\n" if event < events - 1 else "\n]\n")


# The child reads the file and prints its records, tallies, problems and CPU seconds: on a shared machine
# the CPU time tells what the reader costs when the wall clock also counts the other processes' turns.
CHILD = (
    "import resource, sys; from pathlib import Path; from caio_tui.io.idp.keys import person_keyer; "
    "from caio_tui.io.idp.read import read_export; "
    "e = read_export(Path(sys.argv[1]), person_keyer(b'bench', keep=False)); "
    "u = resource.getrusage(resource.RUSAGE_SELF); "
    "print(f'{e.records} records, {len(e.sign_ins)} tallies, {len(e.problems)} problems, "
    "{u.ru_utime + u.ru_stime:.1f} s of CPU')"
)


def read_in_child(path: Path) -> tuple[float, int, str]:
    """(seconds, peak RSS in bytes, the child's output): VmHWM read every 20 ms while it runs."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    status = Path(f"/proc/{process.pid}/status")
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(OSError):
            found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
            if found:
                peak = max(peak, int(found.group(1)) * 1024)
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    return seconds, peak, (out.strip() if process.returncode == 0 else err.strip()[-200:])


def run(results: Results, size: str, *, times: int, log: Callable[[str], None], events: int = EVENTS) -> None:
    by_key = {m.key: m for m in measures()}
    with tempfile.TemporaryDirectory(prefix="caio-bench-idp-") as folder:
        path = Path(folder) / "system-log.json"
        started = time.perf_counter()
        write_system_log(path, events)
        size_gb = path.stat().st_size / 1e9
        log(f"  wrote {events:,} LogEvents ({size_gb:.2f} GB) in {time.perf_counter() - started:.0f} s")
        samples, peak = [], 0
        for _ in range(times):
            seconds, rss, said = read_in_child(path)
            samples.append(seconds)
            peak = max(peak, rss)
        results.add(size, by_key["idp.read"], Stats(samples))
        results.add(size, by_key["idp.memory"], Stats([float(peak)]))
        rate = events / min(samples)
        results.note(size, f"idp: {rate:,.0f} events/s at best, peak memory {peak / 1e6:.0f} MB ({said})")
        log(f"  {by_key['idp.read'].label:<60} {min(samples):9.2f} s, {rate:,.0f} events/s, {peak / 1e6:.0f} MB")
