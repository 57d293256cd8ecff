"""Name resolution for tests: no test ever asks real DNS. tests/conftest.py installs `FakeDns` for every
test; a test that needs a name to resolve adds it to the `fake_dns` fixture's `names`, or makes it a
DNS-rebinding name with `rebind`."""

import socket

PUBLIC_ADDRESS = "93.184.215.14"
REAL_GETADDRINFO = socket.getaddrinfo


class FakeDns:
    """A resolver the tests control; a name it does not know does not resolve."""

    def __init__(self):
        self.names = {
            "psa.example.com": [PUBLIC_ADDRESS],
            "api-na.example.com": [PUBLIC_ADDRESS],
            "intranet.example.com": ["10.1.2.3"],
            "split.example.com": [PUBLIC_ADDRESS, "192.168.1.20"],
        }
        self.asked = []
        self._rebinding = {}

    def rebind(self, host, *, first, then):
        """From now on `host` answers `first` at its next lookup and `then` at every lookup after it: a
        rebinding name, whose short-lived answer changes between FlowPilot's check and its connection."""
        self._rebinding[host] = [first, then]

    def getaddrinfo(self, host, port, *args, **kwargs):
        self.asked.append(host)
        if host in self._rebinding:
            answers = self._rebinding[host]
            self.names[host] = [answers.pop(0) if len(answers) > 1 else answers[0]]
        if host in self.names:
            return [
                (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in self.names[host]
            ]
        if host == "localhost":
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        # Only literal addresses (127.0.0.1, ::1, 2130706433) pass through: nothing is looked up online.
        return REAL_GETADDRINFO(host, port, proto=socket.IPPROTO_TCP, flags=socket.AI_NUMERICHOST)
