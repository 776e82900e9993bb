"""A real SMTP server for the email tests (aiosmtpd): stores each message it receives as a JSON
file ({"from": envelope sender, "to": [...], "subject": ..., "fromHeader": the From header,
"text": ...}, the body decoded) in the folder given, and
prints "listening on PORT" once it accepts connections.

    python3 smtp-sink.py FOLDER PORT
"""
import email
import email.policy
import itertools
import json
import os
import sys
import time

from aiosmtpd.controller import Controller

folder = sys.argv[1]
counter = itertools.count()


class Store:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        record = {
            "from": envelope.mail_from,
            "to": [r.lower() for r in envelope.rcpt_tos],
            "subject": str(message.get("Subject", "")),
            "fromHeader": str(message.get("From", "")),
            "text": body.get_content() if body is not None else "",
        }
        name = os.path.join(folder, f"{next(counter):06d}")
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name + ".json")
        return "250 Message accepted"


controller = Controller(Store(), hostname="127.0.0.1", port=int(sys.argv[2]))
controller.start()
print(f"listening on {controller.port}", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    controller.stop()
