// The runtime of the generated SDK, module by module (each file says what it does):
//   codec     Parse types <-> JSON            http      requests, keys, session header
//   errors    ParseError with Parse's codes   session   pluggable key-value store
//   cache     offline cache with TTL          retry     request ids, backoff
//   query     typed fields and queries        objects   models: CRUD, operators, batch
//   users     sign up / log in / current      files     uploads
//   functions cloud functions                 live      LiveQuery subscriptions
//   client    configuration (initialize)
export * from "./codec.js";
export * from "./errors.js";
export * from "./session.js";
export * from "./cache.js";
export * from "./retry.js";
export * from "./http.js";
export * from "./client.js";
export * from "./query.js";
export * from "./objects.js";
export * from "./users.js";
export * from "./files.js";
export * from "./functions.js";
export * from "./live.js";
