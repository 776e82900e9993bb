'use strict';
// LiveQuery in tests: a subscription's events, recorded as they arrive.

const OPS = ['create', 'enter', 'update', 'leave', 'delete'];

/** Records every event of `sub` (a Parse.LiveQuerySubscription) as it arrives; answers the list
 * ({op, object, original}), which grows. */
function recordEvents(sub) {
  const events = [];
  for (const op of OPS) sub.on(op, (object, original) => events.push({ op, object, original }));
  return events;
}

module.exports = { recordEvents };
