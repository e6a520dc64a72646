"""pyserial's ``socket://`` port, bounded in time: what an Ethernet-to-RS-485 converter is reached by."""

from __future__ import annotations

import functools


@functools.cache
def socket_port_class():
    """pyserial 3.5's ``socket://`` port waits up to 5 s for the TCP connection and sleeps 0.3 s in
    ``close()``; a command may have less time left than either, and closes its connection while it
    holds the port's lock.  This port takes the connection timeout as a setting and does not sleep."""
    import socket

    from serial.serialutil import SerialException
    from serial.urlhandler import protocol_socket

    class BoundedConnectSocket(protocol_socket.Serial):
        connect_timeout: float = protocol_socket.POLL_TIMEOUT

        def open(self):
            # pyserial 3.5's open(), with the timeout of create_connection() and TCP_NODELAY.
            self.logger = None
            if self._port is None:
                raise SerialException("Port must be configured before it can be used.")
            if self.is_open:
                raise SerialException("Port is already open.")
            try:
                self._socket = socket.create_connection(self.from_url(self.portstr),
                                                        timeout=self.connect_timeout)
            except Exception as msg:  # noqa: BLE001 - as pyserial: any failure to connect is a SerialException
                self._socket = None
                number = getattr(msg, "errno", None)
                if number is None:
                    raise SerialException(f"Could not open port {self.portstr}: {msg}") from None
                raise SerialException(number, f"Could not open port {self.portstr}: {msg.strerror}") from None
            self._socket.setblocking(False)
            # A frame is a few bytes and the next one waits for nothing: without this, Nagle's
            # algorithm holds a query back until the converter's delayed ACK of the open frame.
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reconfigure_port()
            self.is_open = True
            if not self._dsrdtr:
                self._update_dtr_state()
            if not self._rtscts:
                self._update_rts_state()
            self.reset_input_buffer()
            self.reset_output_buffer()

        def close(self):
            # pyserial 3.5's close() without its closing sleep: a converter still busy with the last
            # connection is given that time by the driver, only when it refuses the next one.
            if self.is_open:
                if self._socket:
                    try:
                        self._socket.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    self._socket.close()
                    self._socket = None
                self.is_open = False

    return BoundedConnectSocket
