// Hearth SDK runtime: cloud functions; the generated `CloudFunctions` adds one typed method per declared function.
import 'client.dart';
import 'codec.dart';

extension ParseFunctions on ParseClient {
  /// Runs the cloud function [name], untyped: its JSON result.
  Future<Object?> run(String name, [Object? params = const <String, Object?>{}]) async {
    final answer = await requestJson('POST', 'functions/$name', body: encodeValue(params)) as Map;
    return answer['result'];
  }
}
