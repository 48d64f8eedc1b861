#!/usr/bin/env python3
"""A real SMTP server for LMS's mail tests and benchmark: aiosmtpd (from
PyPI) listening on 127.0.0.1:PORT, keeping every message it accepts.

  --dir DIR     each message as DIR/NNNNNNNN-PID.eml (the raw message) and
                DIR/NNNNNNNN-PID.json (parsed by Python's email package:
                envelope, From, To, Subject, Message-ID, Content-Language
                and each text part with its content type), written under a
                temporary name and renamed, so a reader never sees half a file
  --jsonl FILE  one JSON line per message (envelope, Message-ID, Subject)
                appended to FILE: cheap enough for a throughput benchmark

Prints "listening PORT" once it accepts connections; stops on SIGTERM or
SIGINT. Started by `crates/lms-server/tests/api/mail.rs` and
`scripts/bench-mail` through `scripts/ensure-aiosmtpd`.
"""
import argparse
import email
import email.policy
import itertools
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out_dir, jsonl):
        self.out_dir = out_dir
        self.jsonl = open(jsonl, "a", buffering=1) if jsonl else None
        self.count = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "content_language": str(msg.get("Content-Language", "")),
            "content_type": msg.get_content_type(),
        }
        with self.lock:
            n = next(self.count)
        if self.jsonl:
            self.jsonl.write(json.dumps(summary) + "\n")
        if self.out_dir:
            parts = []
            for part in msg.walk():
                if part.get_content_maintype() == "text":
                    parts.append({"content_type": part.get_content_type(), "text": part.get_content()})
            summary["parts"] = parts
            name = f"{n:08d}-{os.getpid()}"
            for ext, data in ((".eml", raw), (".json", json.dumps(summary, ensure_ascii=False).encode())):
                tmp = os.path.join(self.out_dir, "." + name + ext + ".tmp")
                with open(tmp, "wb") as f:
                    f.write(data)
                os.rename(tmp, os.path.join(self.out_dir, name + ext))
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir")
    p.add_argument("--jsonl")
    a = p.parse_args()
    if a.dir:
        os.makedirs(a.dir, exist_ok=True)
    controller = Controller(Sink(a.dir, a.jsonl), hostname="127.0.0.1", port=a.port)
    controller.start()
    print(f"listening {a.port}", flush=True)
    done = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
