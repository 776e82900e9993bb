// Hearth SDK runtime: every runtime module, for the package's library and its generated files.
export 'cache.dart';
export 'client.dart';
export 'codec.dart';
export 'errors.dart';
export 'files.dart';
export 'functions.dart';
export 'http.dart';
export 'live.dart';
export 'objects.dart';
export 'query.dart';
export 'retry.dart';
export 'session.dart';
export 'users.dart';
