'use strict';
// A TCP proxy between the Hearth instances and the PostgreSQL primary that can make the primary
// unreachable for a while the way a network partition does: during a blackhole no byte moves in
// either direction on any connection, old or new, and nothing is refused or reset (stopping the
// postmaster with SIGSTOP is not the same: connections already open keep being served by their
// backends). When the blackhole ends, every connection carries on where it stopped.
//
// Run as a child process of the bed (so that the load generator's work never delays it):
//   node blackhole.js LISTEN_PORT TARGET_PORT
// It prints `listening` once ready; the parent sends {blackhole: ms} over IPC and gets
// {blackholed: true} when it starts and {blackholed: false} when it ends.

const net = require('node:net');

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
const pairs = new Set();
let holeUntil = 0;

function paused() {
  return Date.now() < holeUntil;
}

/** Moves bytes from `from` to `to`, honouring back-pressure and the blackhole (bytes read while
 * it lasts are held back until it ends). Answers `flush`, called when the blackhole ends. */
function forward(from, to) {
  let held = [];
  from.on('data', (d) => {
    if (paused()) {
      held.push(d);
      from.pause();
      return;
    }
    if (!to.write(d)) from.pause();
  });
  to.on('drain', () => {
    if (!paused()) from.resume();
  });
  from.on('end', () => to.end());
  return () => {
    for (const d of held) to.write(d);
    held = [];
    from.resume();
  };
}

function pipe(client) {
  const upstream = net.connect(targetPort, '127.0.0.1');
  const pair = { client, upstream };
  pairs.add(pair);
  const close = () => {
    pairs.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  const flushUp = forward(client, upstream);
  const flushDown = forward(upstream, client);
  pair.resume = () => {
    flushUp();
    flushDown();
  };
  if (paused()) {
    client.pause();
    upstream.pause();
  }
}

const server = net.createServer({ pauseOnConnect: false }, (client) => {
  client.setNoDelay(true);
  if (paused()) {
    // A new connection during the blackhole: accepted (as the kernel would before a partition is
    // noticed) but nothing goes through until it ends.
    client.pause();
    const wait = setInterval(() => {
      if (!paused()) {
        clearInterval(wait);
        pipe(client);
        client.resume();
      }
    }, 20);
    client.on('close', () => clearInterval(wait));
    return;
  }
  pipe(client);
});

server.listen(listenPort, '127.0.0.1', () => {
  process.stdout.write('listening\n');
});

process.on('message', (msg) => {
  if (msg && typeof msg.blackhole === 'number') {
    holeUntil = Date.now() + msg.blackhole;
    for (const { client, upstream } of pairs) {
      client.pause();
      upstream.pause();
    }
    process.send({ blackholed: true });
    setTimeout(() => {
      holeUntil = 0;
      for (const pair of pairs) pair.resume();
      process.send({ blackholed: false });
    }, msg.blackhole);
  }
});

// The bed's end (or the bed's death) ends the proxy.
process.on('disconnect', () => process.exit(0));
