"""The device console on the PC: the protocol's framing (shared with the clients in
tools/luasys), the simulator's console server, and a pty that stands in for a
device's serial port (docs/console-protocol.md)."""
