# Accept one HTTP request on 127.0.0.1, write its head (request line and headers) to FILE,
# answer 200 with no body, and exit.  Prints the port it listens on first.  For
# tests/integration/s3.sh's SigV4 test vector: what libcurl signed, as sent.
#   python3 http_capture_request.py FILE
import socket
import sys

s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
data = b''
while b'\r\n\r\n' not in data:
    more = c.recv(4096)
    if not more:
        break
    data += more
open(sys.argv[1], 'wb').write(data.split(b'\r\n\r\n')[0] + b'\r\n')
c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
c.close()
