package hearth.sdk

import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.URL

/** One HTTP request as the SDK sends it. */
class HttpRequest(val method: String, val url: String, val headers: Map<String, String>, val body: ByteArray?)

/** One HTTP answer; header names are lower case. */
class HttpResponse(val status: Int, val headers: Map<String, String>, val body: ByteArray) {
    fun text(): String = String(body, Charsets.UTF_8)
}

/**
 * How the SDK talks HTTP. Throw an [IOException] when no answer came (the SDK then retries and,
 * for queries, may fall back to its cache). Plug OkHttp or Ktor in by implementing this one
 * method; the default is [UrlConnectionTransport].
 */
interface HttpTransport {
    @Throws(IOException::class)
    fun send(request: HttpRequest): HttpResponse
}

/** The default transport: `java.net.HttpURLConnection` (JVM and Android, no dependency). */
class UrlConnectionTransport(private val connectTimeoutMs: Int = 15000, private val readTimeoutMs: Int = 30000) : HttpTransport {
    override fun send(request: HttpRequest): HttpResponse {
        val conn = URL(request.url).openConnection() as HttpURLConnection
        try {
            conn.requestMethod = request.method
            conn.connectTimeout = connectTimeoutMs
            conn.readTimeout = readTimeoutMs
            conn.instanceFollowRedirects = false
            conn.useCaches = false
            for ((k, v) in request.headers) conn.setRequestProperty(k, v)
            val body = request.body
            if (body != null) {
                conn.doOutput = true
                conn.setFixedLengthStreamingMode(body.size)
                conn.outputStream.use { it.write(body) }
            }
            val status = conn.responseCode
            val stream: InputStream? = if (status >= 400) conn.errorStream else conn.inputStream
            val bytes = stream?.use { readAll(it) } ?: ByteArray(0)
            val headers = LinkedHashMap<String, String>()
            for ((k, v) in conn.headerFields) if (k != null && v != null) headers[k.toLowerCase()] = v.joinToString(", ")
            return HttpResponse(status, headers, bytes)
        } finally {
            conn.disconnect()
        }
    }

    private fun readAll(input: InputStream): ByteArray {
        val out = ByteArrayOutputStream()
        val buf = ByteArray(16 * 1024)
        while (true) {
            val n = input.read(buf)
            if (n < 0) break
            out.write(buf, 0, n)
        }
        return out.toByteArray()
    }
}
