#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_signaling and fuzz_rest (tests/fuzz/corpus/<target>/) from the
captured SDPs in tests/data/sdp. Run from the repository root after changing a seed below; the
formats are described at the top of fuzz_signaling.cpp and fuzz_rest.cpp."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SDP = os.path.join(ROOT, "tests", "data", "sdp")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def sdp(name):
    with open(os.path.join(SDP, name), encoding="utf-8") as f:
        return f.read().replace("\r\n", "\n").replace("\n", "\r\n")  # as browsers send it


def msg(**fields):
    return json.dumps(fields, separators=(",", ":"))


def signaling(flags, lines):
    return flags + "\n" + "\n".join(lines) + "\n"


def restarted(text, pwd=True):
    """The description after an ICE restart: new a=ice-ufrag (and a=ice-pwd unless pwd is False)."""
    lines = []
    for line in text.split("\r\n"):
        if line.startswith("a=ice-ufrag:"):
            line = "a=ice-ufrag:RsTu"
        elif pwd and line.startswith("a=ice-pwd:"):
            line = "a=ice-pwd:restartedPasswordOf24Chars"
        lines.append(line)
    return "\r\n".join(lines)


def join(room, name=None, token=None):
    fields = {"type": "join", "room": room}
    if name is not None:
        fields["name"] = name
    if token is not None:
        fields["token"] = token
    return msg(**fields)


SIGNALING = {
    # Two browsers: one publishes (captured Chromium offer), the other answers its subscribe offer
    # (captured Chromium answer), then pings, leaves, goes away.
    "chromium_call": signaling("0", [
        "A" + join("r1", "alice"),
        "A" + msg(type="publish", sdp=sdp("chromium_publish_offer.sdp")),
        "B" + join("r1", "bob"),
        "B" + msg(type="subscribe_answer", sdp=sdp("chromium_subscribe_answer.sdp")),
        "A" + msg(type="ping"),
        "B" + msg(type="leave"),
        "a",
    ]),
    # The same with the built offer and the answer built from the server's own subscribe offer.
    "built_call": signaling("0", [
        "A" + join("r1", "alice"),
        "A" + '{"type":"publish","sdp":"$OFFER"}',
        "B" + join("r1", "bob"),
        "B" + '{"type":"subscribe_answer","sdp":"$ANSWER1"}',
        "C" + join("r1", "carol"),
        "C" + '{"type":"subscribe_answer","sdp":"$ANSWER2"}',
        "A" + msg(type="leave"),
        "B" + '{"type":"subscribe_answer","sdp":"$ANSWER1"}',
    ]),
    # ICE restarts: a publish re-offer with new credentials (and one that changes only the ufrag),
    # restart_ice on the subscribe connection, again while its offer is outstanding, and for the
    # publish connection.
    "ice_restart": signaling("0", [
        "B" + msg(type="restart_ice"),
        "A" + join("r1", "alice"),
        "A" + msg(type="publish", sdp=sdp("chromium_publish_offer.sdp")),
        "B" + join("r1", "bob"),
        "B" + msg(type="restart_ice"),
        "B" + msg(type="subscribe_answer", sdp=sdp("chromium_subscribe_answer.sdp")),
        "B" + msg(type="restart_ice"),
        "B" + msg(type="restart_ice", connection="subscribe"),
        "B" + msg(type="restart_ice", connection="publish"),
        "B" + msg(type="restart_ice", connection=7),
        "B" + msg(type="subscribe_answer", sdp=restarted(sdp("chromium_subscribe_answer.sdp"))),
        "A" + msg(type="publish", sdp=restarted(sdp("chromium_publish_offer.sdp"))),
        "A" + msg(type="publish", sdp=restarted(sdp("chromium_publish_offer.sdp"), pwd=False)),
    ]),
    # Auth on: good tokens, and signed tokens with wrong claims (numeric sub, room of the wrong
    # type, expired, object name, not yet valid, another room, a name too long).
    "auth_tokens": signaling("1", [
        "A" + join("r1", token="$TOKEN3"),
        "A" + join("r1", token="$TOKEN4"),
        "A" + join("r1", token="$TOKEN5"),
        "A" + join("r1", token="$TOKEN6"),
        "A" + join("r1", token="$TOKEN8"),
        "A" + join("r1", token="$TOKEN2"),
        "A" + join("r1", "mallory"),
        "A" + join("r1", token="$TOKEN0"),
        "A" + '{"type":"publish","sdp":"$OFFER"}',
        "B" + join("r1", token="$TOKEN1"),
        "B" + '{"type":"subscribe_answer","sdp":"$ANSWER1"}',
        "C" + join("r2", token="$TOKEN9"),
    ]),
    "firefox_publish": signaling("0", [
        "A" + join("r1", "fox"),
        "A" + msg(type="publish", sdp=sdp("firefox_publish_offer.sdp")),
        "B" + join("r1", "bob"),
        "B" + '{"type":"subscribe_answer","sdp":"$ANSWER1"}',
    ]),
    "simulcast_publish": signaling("0", [
        "A" + join("r1", "sim"),
        "A" + msg(type="publish", sdp=sdp("chromium_simulcast_offer.sdp")),
        "B" + join("r1", "bob"),
        "B" + '{"type":"subscribe_answer","sdp":"$ANSWER1"}',
    ]),
    "datachannel_and_renegotiation": signaling("0", [
        "A" + join("r1", "dc"),
        "A" + msg(type="publish", sdp=sdp("chromium_datachannel_first_offer.sdp")),
        "A" + msg(type="publish", sdp=sdp("chromium_renegotiation_offer.sdp")),
        "B" + join("r1", "bob"),
        "B" + msg(type="publish", sdp=sdp("chromium_recvonly_offer.sdp")),
        "B" + msg(type="subscribe_answer", sdp=sdp("chromium_subscribe_answer_recycled.sdp")),
    ]),
    # Everything a client may get wrong, up to the bad-message limit.
    "bad_messages": signaling("0", [
        "A" + "not json",
        "A" + "[1,2]",
        "A" + '{"type":1}',
        "A" + msg(type="dance"),
        "A" + msg(type="publish", sdp="v=0"),
        "A" + join("bad room!", "x"),
        "A" + join("r1", ""),
        "x",
        "X",
        "A" + msg(type="candidate", candidate="candidate:1 1 udp 1 1.2.3.4 5 typ host"),
        "A" + join("r1", "alice"),
        "A" + join("r1", "again"),
        "A" + msg(type="publish", sdp="v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=" + "\u00e9" * 40),
        "A" + msg(type="subscribe_answer"),
        "A" + '{"type":"publish","sdp":"$OFFER","extra":{"deep":[[[[]]]]}}',
    ] + ["B{"] * 11),
    # Tight limits: two rooms of two participants.
    "tight_limits": signaling("2", [
        "A" + join("r1", "a"),
        "B" + join("r1", "b"),
        "C" + join("r1", "c"),
        "C" + join("r2", "c"),
        "c",
        "C" + join("r3", "c"),
        "A" + '{"type":"publish","sdp":"$OFFER"}',
    ]),
    # Session resume: forged, malformed and misplaced resumes; a resume while joined.
    "resume_attempts": signaling("0", [
        "A" + join("r1", "alice"),
        "B" + join("r1", "bob"),
        "C" + msg(type="resume", room="r1", participant_id="$P1", resume_token="A" * 43),
        "C" + msg(type="resume", room="r1", participant_id="$P1"),
        "C" + msg(type="resume", room="r2", participant_id="$P0", resume_token=""),
        "A" + msg(type="resume", room="r1", participant_id="$P0", resume_token="x"),
        "b",
        "C" + '{"type":"resume","room":"r1","participant_id":"$P1","resume_token":1}',
    ]),
    "two_workers": signaling("4", [
        "A" + join("r1", "a"),
        "B" + join("r2", "b"),
        "C" + join("r3", "c"),
        "B" + '{"type":"publish","sdp":"$OFFER"}',
        "b",
        "B" + join("r2", "b2"),
    ]),
}


def rest(flags, joined, requests):
    return flags + joined + "\n====\n".join(requests)


def req(line, headers=(), body=""):
    text = line + "\n" + "".join(h + "\n" for h in headers)
    if body:
        text += "\n" + body
    return text


ADMIN = "Authorization: Bearer $TOKEN7"
JSON = "Content-Type: application/json"
HOST = "Host: localhost:8080"

REST = {
    "rooms_lifecycle": rest("0", "0", [
        req("POST /v1/rooms", [HOST, JSON], '{"name":"r2","max_participants":5}'),
        req("GET /v1/rooms", [HOST]),
        req("GET /v1/rooms/r2", [HOST]),
        req("POST /v1/rooms", [HOST, JSON], '{"name":"r2"}'),
        req("DELETE /v1/rooms/r2", [HOST]),
        req("GET /v1/rooms/r2", [HOST]),
        req("PUT /v1/rooms", [HOST]),
    ]),
    "auth_admin": rest("1", "0", [
        req("GET /v1/rooms", [HOST]),
        req("GET /v1/rooms", [HOST, "Authorization: Bearer $TOKEN0"]),
        req("GET /v1/rooms", [HOST, "Authorization: Basic abc"]),
        req("POST /v1/rooms", [HOST, ADMIN, JSON], '{"name":"r3"}'),
        req("GET /v1/rooms", [HOST, ADMIN]),
        req("DELETE /v1/rooms/r3", [HOST, ADMIN]),
    ]),
    "kick_and_delete": rest("1", "2", [
        req("GET /v1/rooms/r1", [HOST, ADMIN]),
        req("DELETE /v1/rooms/r1/participants/$P1", [HOST, ADMIN]),
        req("DELETE /v1/rooms/r1/participants/nobody", [HOST, ADMIN]),
        req("GET /v1/rooms/r1", [HOST, ADMIN]),
        req("DELETE /v1/rooms/r1", [HOST, ADMIN]),
        req("GET /v1/rooms", [HOST, ADMIN]),
    ]),
    "health_metrics_page": rest("0", "1", [
        req("GET /healthz"),
        req("GET /metrics"),
        req("GET /"),
        req("GET /index.html"),
        req("HEAD /"),
        req("OPTIONS /v1/rooms"),
        req("GET /v1/nothing?x=1"),
    ]),
    "bad_bodies": rest("2", "0", [
        req("POST /v1/rooms", [JSON], "not json"),
        req("POST /v1/rooms", [JSON], '{"name":1}'),
        req("POST /v1/rooms", [JSON], '{"name":"ok","max_participants":0}'),
        req("POST /v1/rooms", [JSON], '{"name":"ok","max_participants":-1}'),
        req("POST /v1/rooms", [JSON], '{"name":"ok","max_participants":1.5}'),
        req("POST /v1/rooms", [JSON], '{"name":"a"}'),
        req("POST /v1/rooms", [JSON], '{"name":"b"}'),
        req("POST /v1/rooms", [JSON], '{"name":"c"}'),
        req("DELETE /v1/rooms/a/participants/x/y"),
        req("GET /v1/rooms/" + "\u00e9" * 40),
    ]),
}


def write(target, seeds):
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    for name, text in seeds.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)


write("fuzz_signaling", SIGNALING)
write("fuzz_rest", REST)
