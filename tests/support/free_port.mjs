// For the node tests (tests/browser, tests/api/stream_resume): a TCP port free on loopback
// now, for a child process to bind (a race with other processes is possible but harmless in
// practice: the child then fails to start and the test says so).
import net from 'node:net';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
