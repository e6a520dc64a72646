"""Drivers for the terminal's devices.  Each has an interface, a simulated device and a real driver."""
