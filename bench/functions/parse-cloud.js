// Parse Server's cloud code for bench/functions/run.sh (cluster.js loads it when PARSE_CLOUD names
// it): the same trivial function and trigger that bench.ts gives Hearth.

// A function that does nothing: answers the constant 1 (`{"result":1}` for the client).
Parse.Cloud.define('noop', () => 1);

// A trigger that sets one field on every save of BenchTriggered.
Parse.Cloud.beforeSave('BenchTriggered', (request) => {
  request.object.set('triggered', true);
});
