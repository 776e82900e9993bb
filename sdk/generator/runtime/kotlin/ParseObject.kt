package hearth.sdk

import java.util.Date

/**
 * One object of a class. Generated models extend it with a typed property per field; their
 * values live in one map here (a class may have hundreds of fields: a constructor per field would
 * not load on the JVM). Changes are remembered as operations and sent by [save]: a set value, or
 * [increment], [add], [addUnique], [remove], [unset], and relation changes.
 */
open class ParseObject(val className: String) {
    var objectId: String? = null
    var createdAt: Date? = null
        private set
    var updatedAt: Date? = null
        private set

    private val values = LinkedHashMap<String, Any?>()
    private val ops = LinkedHashMap<String, Any?>()

    var acl: ParseACL?
        get() = values["ACL"] as? ParseACL
        set(v) = set("ACL", v)

    /** The value of [key] (decoded: Date, GeoPoint, ParseFile, models for pointers...). */
    fun get(key: String): Any? = values[key]

    /** Sets [key] to [value]; null clears the field on the server. */
    fun set(key: String, value: Any?) {
        if (value == null) {
            unset(key)
            return
        }
        values[key] = value
        queue(key, value)
    }

    fun has(key: String): Boolean = values[key] != null
    fun keys(): Set<String> = values.keys
    val isDirty: Boolean get() = ops.isNotEmpty() || objectId == null

    fun unset(key: String) {
        values.remove(key)
        queue(key, mapOf("__op" to "Delete"))
    }

    /**
     * Adds [amount] to a number field. Several operations on one field before a save are merged as
     * the Parse SDKs do (see [combine]).
     */
    fun increment(key: String, amount: Number = 1) {
        val now = (values[key] as? Number)?.toDouble() ?: 0.0
        values[key] = now + amount.toDouble()
        queue(key, mapOf("__op" to "Increment", "amount" to amount))
    }

    fun add(key: String, items: List<Any?>) = arrayOp(key, "Add", items)
    fun addUnique(key: String, items: List<Any?>) = arrayOp(key, "AddUnique", items)
    fun remove(key: String, items: List<Any?>) = arrayOp(key, "Remove", items)

    private fun arrayOp(key: String, op: String, items: List<Any?>) {
        val now = (values[key] as? List<*>).orEmpty()
        values[key] = when (op) {
            "Add" -> now + items
            "AddUnique" -> now + items.filter { it !in now }
            else -> now.filter { it !in items }
        }
        queue(key, mapOf("__op" to op, "objects" to Codec.encode(items)))
    }

    /** Adds or removes objects of a relation field (sent with the next [save]); adding and removing on one field needs a save in between. */
    fun relationOp(key: String, add: Boolean, objects: List<ParseObject>) {
        queue(key, mapOf("__op" to if (add) "AddRelation" else "RemoveRelation", "objects" to objects.map { it.toPointer() }))
    }

    /** Records [next] (a value or an operator) for [key], merged with what is pending there. */
    private fun queue(key: String, next: Any?) = synchronized(ops) {
        ops[key] = if (ops.containsKey(key)) combine(key, ops[key], next) else next
    }

    /**
     * [before] then [next] on [key] as one change, as the Parse SDKs merge them: a set value or an
     * unset replaces anything; increments add up; the same array or relation operator twice is one
     * with both lists; after a set value or an unset, or for two different array operators, the
     * field's value as it is now here is sent. Adding to and removing from one relation cannot be
     * merged ([IllegalStateException]: save in between).
     */
    private fun combine(key: String, before: Any?, next: Any?): Any? {
        val nextOp = opName(next)
        val beforeOp = opName(before)
        return when {
            nextOp == null || nextOp == "Delete" -> next
            nextOp == "AddRelation" || nextOp == "RemoveRelation" ->
                if (beforeOp == nextOp) mapOf("__op" to nextOp, "objects" to objects(before) + objects(next))
                else throw IllegalStateException("$key has a pending ${beforeOp ?: "value"}: save before changing the relation")
            beforeOp == "Increment" && nextOp == "Increment" -> mapOf("__op" to "Increment", "amount" to sum((before as Map<*, *>)["amount"] as Number, (next as Map<*, *>)["amount"] as Number))
            beforeOp == nextOp && nextOp != "Increment" -> mapOf("__op" to nextOp, "objects" to objects(before) + objects(next))
            beforeOp == "AddRelation" || beforeOp == "RemoveRelation" -> throw IllegalStateException("$key has a pending $beforeOp: save before changing it")
            else -> values[key]
        }
    }

    private fun objects(op: Any?): List<Any?> = ((op as Map<*, *>)["objects"] as? List<*>).orEmpty()

    private fun sum(a: Number, b: Number): Number =
        if ((a is Int || a is Long) && (b is Int || b is Long)) a.toLong() + b.toLong() else a.toDouble() + b.toDouble()

    private fun opName(op: Any?): String? = (op as? Map<*, *>)?.get("__op") as? String

    /** The pending changes, taken for a save: changes made while it is in flight are the next save's. */
    internal fun takeOps(): Map<String, Any?> = synchronized(ops) {
        val taken = LinkedHashMap(ops)
        ops.clear()
        taken
    }

    /** Puts back the changes of a save that failed, before those made since. */
    internal fun restoreOps(taken: Map<String, Any?>) = synchronized(ops) {
        val since = LinkedHashMap(ops)
        ops.clear()
        ops.putAll(taken)
        for ((k, v) in since) {
            ops[k] = if (ops.containsKey(k)) {
                try {
                    combine(k, ops[k], v)
                } catch (e: IllegalStateException) {
                    v
                }
            } else v
        }
    }

    // Typed reads and writes used by the generated properties.
    protected fun readString(key: String): String? = values[key] as? String
    protected fun readNumber(key: String): Double? = (values[key] as? Number)?.toDouble()
    protected fun readBoolean(key: String): Boolean? = values[key] as? Boolean
    protected fun readDate(key: String): Date? = values[key] as? Date
    protected fun readMap(key: String): Map<String, Any?>? = Codec.asMap(values[key])
    protected fun readList(key: String): List<Any?>? = Codec.asList(values[key])
    protected fun readGeoPoint(key: String): GeoPoint? = values[key] as? GeoPoint
    protected fun readPolygon(key: String): Polygon? = values[key] as? Polygon
    protected fun readBytes(key: String): ByteArray? = values[key] as? ByteArray
    protected fun readFile(key: String): ParseFile? = values[key] as? ParseFile
    protected fun readAcl(key: String): ParseACL? = values[key] as? ParseACL

    @Suppress("UNCHECKED_CAST")
    protected fun <T : ParseObject> readPointer(key: String): T? = values[key] as? T

    protected fun <T : ParseObject> readRelation(key: String, targetClass: String?): ParseRelation<T> = ParseRelation(this, key, targetClass)

    protected fun write(key: String, value: Any?) = set(key, value)

    // --- wire ---------------------------------------------------------------------------------------

    /** `{"__type": "Pointer", "className", "objectId"}`; the object must have been saved. */
    fun toPointer(): Map<String, Any?> {
        val id = objectId ?: throw IllegalStateException("a $className must be saved before it is pointed to")
        return mapOf("__type" to "Pointer", "className" to className, "objectId" to id)
    }

    /** The pending changes as the body of a create or update. */
    fun changesJson(): Map<String, Any?> = changesJson(ops)

    private fun changesJson(ops: Map<String, Any?>): Map<String, Any?> {
        val out = LinkedHashMap<String, Any?>()
        for ((k, v) in ops) out[k] = if (v is Map<*, *> && v["__op"] != null) v else Codec.encode(v)
        return out
    }

    /** The whole object as the server sends it (for the session store and caches). */
    fun toServerJson(): Map<String, Any?> {
        val out = LinkedHashMap<String, Any?>()
        out["__type"] = "Object"
        out["className"] = className
        objectId?.let { out["objectId"] = it }
        createdAt?.let { out["createdAt"] = Codec.formatDate(it) }
        updatedAt?.let { out["updatedAt"] = Codec.formatDate(it) }
        for ((k, v) in values) out[k] = if (v is ParseObject) (if (v.values.isEmpty()) v.toPointer() else v.toServerJson()) else Codec.encode(v)
        return out
    }

    /** Takes the server's view of the object (an answer of get, find, save or an included pointer). */
    open fun mergeServerData(doc: Map<String, Any?>, factory: (String) -> ParseObject) {
        for ((k, v) in doc) {
            when (k) {
                "__type", "className" -> {}
                "objectId" -> objectId = v as? String
                "createdAt" -> createdAt = (v as? String)?.let { Codec.parseDate(it) } ?: createdAt
                "updatedAt" -> updatedAt = (v as? String)?.let { Codec.parseDate(it) } ?: updatedAt
                "ACL" -> values["ACL"] = Codec.acl(v)
                else -> {
                    if (v is Map<*, *> && v["__op"] == "Delete") values.remove(k) else values[k] = Codec.decode(v, factory)
                }
            }
        }
        if (createdAt != null && updatedAt == null) updatedAt = createdAt
    }

    /** Drops [key] here without sending anything (a password after sign-up). */
    internal fun forget(key: String) {
        values.remove(key)
        ops.remove(key)
    }

    open fun createPath(): String = "/classes/$className"
    internal fun objectPath(): String = createPath() + "/" + (objectId ?: throw IllegalStateException("the $className has no objectId"))

    // --- calls --------------------------------------------------------------------------------------

    /** Creates or updates the object on the server with its pending changes. */
    open fun save(client: ParseClient = ParseClient.current()): ParseObject {
        val sent = takeOps()
        val doc = try {
            val body = changesJson(sent)
            if (objectId == null) client.request("POST", createPath(), body) else client.request("PUT", objectPath(), body)
        } catch (e: Throwable) {
            restoreOps(sent)
            throw e
        }
        @Suppress("UNCHECKED_CAST")
        applySaved(doc as? Map<String, Any?> ?: emptyMap(), client, sent)
        return this
    }

    /** Takes a save's answer; [pending] are the operations that were sent (those made since stay pending). */
    internal open fun applySaved(doc: Map<String, Any?>, client: ParseClient, pending: Map<String, Any?>) {
        mergeServerData(doc, client.factory)
        // The server answers only what it computed (ids, dates, operation results): keep the rest.
        for ((k, v) in pending) if (!doc.containsKey(k) && !ops.containsKey(k) && !(v is Map<*, *> && v["__op"] != null)) values[k] = v
    }

    /** Reloads the object from the server (its fields, plus [include]d pointers). */
    fun fetch(client: ParseClient = ParseClient.current(), include: List<String> = emptyList()): ParseObject {
        val query = if (include.isEmpty()) null else mapOf<String, Any?>("include" to include.joinToString(","))
        @Suppress("UNCHECKED_CAST")
        val doc = client.request("GET", objectPath(), null, query) as? Map<String, Any?> ?: emptyMap()
        values.clear()
        ops.clear()
        mergeServerData(doc, client.factory)
        return this
    }

    fun delete(client: ParseClient = ParseClient.current()) {
        client.request("DELETE", objectPath())
    }

    fun saveAsync(callback: Callback<ParseObject>, client: ParseClient = ParseClient.current()) = client.async({ save(client) }, callback)

    override fun toString(): String = "$className($objectId)"

    companion object {
        /**
         * Saves [objects] in one `/batch` request (up to 50 per request); a failed write is reported
         * as a [BatchException] naming every error, the others are saved (with [transaction], all
         * or none of a request's writes are applied).
         */
        fun saveAll(objects: List<ParseObject>, client: ParseClient = ParseClient.current(), transaction: Boolean = false) {
            for (chunk in objects.chunked(50)) {
                val sent = chunk.map { it.takeOps() }
                val answers = try {
                    val requests = chunk.mapIndexed { i, it ->
                        val path = client.batchPath("/classes/" + it.className + (it.objectId?.let { id -> "/$id" } ?: ""))
                        mapOf("method" to if (it.objectId == null) "POST" else "PUT", "path" to path, "body" to it.changesJson(sent[i]))
                    }
                    val body = if (transaction) mapOf("requests" to requests, "transaction" to true) else mapOf("requests" to requests)
                    client.request("POST", "/batch", body) as? List<*> ?: emptyList<Any?>()
                } catch (e: Throwable) {
                    chunk.forEachIndexed { i, o -> o.restoreOps(sent[i]) }
                    throw e
                }
                val errors = ArrayList<ParseException>()
                chunk.forEachIndexed { i, o ->
                    val a = answers.getOrNull(i) as? Map<*, *>
                    val success = a?.get("success")
                    val error = a?.get("error") as? Map<*, *>
                    @Suppress("UNCHECKED_CAST")
                    if (success is Map<*, *>) o.applySaved(success as Map<String, Any?>, client, sent[i])
                    else {
                        o.restoreOps(sent[i])
                        errors.add(ParseException(Codec.asLong(error?.get("code"))?.toInt() ?: ParseException.OTHER_CAUSE, error?.get("error") as? String ?: "no answer for this object"))
                    }
                }
                if (errors.isNotEmpty()) throw BatchException(errors)
            }
        }

        /** Deletes [objects] in `/batch` requests. */
        fun deleteAll(objects: List<ParseObject>, client: ParseClient = ParseClient.current()) {
            for (chunk in objects.chunked(50)) {
                val requests = chunk.map { mapOf("method" to "DELETE", "path" to client.batchPath("/classes/" + it.className + "/" + it.objectId)) }
                val answers = client.request("POST", "/batch", mapOf("requests" to requests)) as? List<*> ?: emptyList<Any?>()
                val errors = answers.mapNotNull { (it as? Map<*, *>)?.get("error") as? Map<*, *> }
                    .map { ParseException(Codec.asLong(it["code"])?.toInt() ?: ParseException.OTHER_CAUSE, it["error"] as? String ?: "") }
                if (errors.isNotEmpty()) throw BatchException(errors)
            }
        }
    }
}

/** Some writes of a batch failed; [errors] holds them (the first is this exception's code). */
class BatchException(val errors: List<ParseException>) : ParseException(errors.firstOrNull()?.code ?: OTHER_CAUSE, errors.joinToString("; ") { it.code.toString() + " " + it.message })

/** A relation field: objects of [targetClass] related to [parent]. Changes are sent with the parent's next save. */
class ParseRelation<T : ParseObject>(private val parent: ParseObject, val key: String, val targetClass: String?) {
    fun add(vararg objects: T) = parent.relationOp(key, true, objects.toList())
    fun remove(vararg objects: T) = parent.relationOp(key, false, objects.toList())

    /** A query for the related objects; [make] builds a model (the target class's generated `query()` passes its own). */
    fun query(make: () -> T): Query<T> {
        val cls = targetClass ?: throw IllegalStateException("the relation $key has no target class")
        return Query(cls, make).whereRaw("\$relatedTo", mapOf("object" to parent.toPointer(), "key" to key))
    }
}

/**
 * Users (`_User`): the generated user model extends this. Sign up and log in store the session
 * through the client's session store; every later request carries it.
 */
open class ParseUserBase : ParseObject("_User") {
    val sessionToken: String? get() = get("sessionToken") as? String

    override fun createPath(): String = "/users"

    /** Creates the user (username and password set) and logs it in. */
    fun signUp(client: ParseClient = ParseClient.current()): ParseUserBase {
        save(client)
        client.setSession(sessionToken, this)
        return this
    }

    override fun applySaved(doc: Map<String, Any?>, client: ParseClient, pending: Map<String, Any?>) {
        super.applySaved(doc, client, pending)
        // The password is sent once; it is never kept (nor written to the session store).
        forget("password")
        // A password change ends the user's other sessions and answers a new token: keep that one.
        val token = doc["sessionToken"] as? String ?: client.sessionToken
        if (token != null && objectId != null && objectId == client.currentUserData()?.objectId) client.setSession(token, this)
    }

    companion object {
        /** Logs in; the answer is a user made by [make] (the generated user model passes its own constructor). */
        fun <U : ParseUserBase> logIn(username: String, password: String, make: () -> U, client: ParseClient = ParseClient.current()): U {
            @Suppress("UNCHECKED_CAST")
            val doc = client.request("POST", "/login", mapOf("username" to username, "password" to password), useSession = false) as? Map<String, Any?> ?: emptyMap()
            val user = make()
            user.mergeServerData(doc, client.factory)
            client.setSession(user.sessionToken, user)
            return user
        }

        /** Takes over the session [sessionToken] (checked with `GET /users/me`). */
        fun <U : ParseUserBase> become(sessionToken: String, make: () -> U, client: ParseClient = ParseClient.current()): U {
            @Suppress("UNCHECKED_CAST")
            val doc = client.request("GET", "/users/me", sessionToken = sessionToken) as? Map<String, Any?> ?: emptyMap()
            val user = make()
            user.mergeServerData(doc, client.factory)
            if (user.sessionToken == null) user.mergeServerData(mapOf("sessionToken" to sessionToken), client.factory)
            client.setSession(sessionToken, user)
            return user
        }

        /** The logged-in user as last stored (no request), or null. */
        fun <U : ParseUserBase> current(make: () -> U, client: ParseClient = ParseClient.current()): U? {
            val stored = client.currentUserData() ?: return null
            val user = make()
            user.mergeServerData(stored.toServerJson(), client.factory)
            return user
        }

        /** Ends the session on the server and forgets it here (even when the server had already ended it). */
        fun logOut(client: ParseClient = ParseClient.current()) {
            val token = client.sessionToken
            try {
                // `{}`: some transports (OkHttp) refuse a POST without a body. Sent once: the server does not replay it.
                if (token != null) client.request("POST", "/logout", emptyMap<String, Any?>(), retry = false, sessionToken = token)
            } catch (e: ParseException) {
                if (e.code != ParseException.INVALID_SESSION_TOKEN) throw e
            } finally {
                client.setSession(null, null)
            }
        }
    }
}
