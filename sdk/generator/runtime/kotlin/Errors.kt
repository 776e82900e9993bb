package hearth.sdk

/**
 * A failed call: the server's Parse error (`{"code", "error"}`), or [CONNECTION_FAILED] when the
 * server could not be reached at all ([isNetworkError] tells that case apart from a server answer
 * that happens to use code 100, such as rate limiting). The generated `ErrorCode` enum names the
 * codes (`e.errorCode`).
 */
open class ParseException(val code: Int, message: String, val isNetworkError: Boolean = false, cause: Throwable? = null) : Exception(message, cause) {
    companion object {
        /** The server could not be reached (no answer); as the official Parse SDKs report it. */
        const val CONNECTION_FAILED = 100
        /** Any other error (an answer that is not Parse's error body, an internal failure). */
        const val OTHER_CAUSE = -1
        const val INVALID_JSON = 107
        const val OBJECT_NOT_FOUND = 101
        const val INVALID_SESSION_TOKEN = 209
    }

    override fun toString(): String = "ParseException($code): $message"
}
