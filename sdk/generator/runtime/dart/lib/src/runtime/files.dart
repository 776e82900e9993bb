// Hearth SDK runtime: file upload.
import 'dart:convert';

import 'client.dart';
import 'codec.dart';

extension ParseFiles on ParseClient {
  /// Uploads [bytes] as a file named [name]; store the returned [ParseFile] in a File field.
  Future<ParseFile> uploadFile(String name, List<int> bytes, {String contentType = 'application/octet-stream'}) async {
    final answer = jsonDecode(await request('POST', 'files/${Uri.encodeComponent(name)}', body: bytes, contentType: contentType)) as Map;
    return ParseFile(answer['name'] as String, answer['url'] as String?);
  }
}
