// Preloaded (node --import) into a keymint process that a test drives with a TestClock (test/support/oauth-calls.ts):
// Date.now(), the gateway's clock, follows the test's. It starts from KEYMINT_TEST_CLOCK ({ frozenAt, offsetMs }) and
// takes each new setting over the IPC channel, answering once it holds, so a request relayed after the answer sees it.
const realNow = Date.now;
let clock = JSON.parse(process.env.KEYMINT_TEST_CLOCK ?? '{"frozenAt":null,"offsetMs":0}');
Date.now = () => (clock.frozenAt ?? realNow()) + clock.offsetMs;
process.on('message', (message) => {
  if (message?.testClock === undefined) return;
  clock = message.testClock;
  process.send({ testClockSet: message.id });
});
// The IPC channel must not keep a process alive that keymint itself would let exit.
process.channel?.unref();
