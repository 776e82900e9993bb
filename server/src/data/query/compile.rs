//! Compiles Parse's `where` into a parameterised SQL condition, from the tree [`super::parse`]
//! reads it into (the parser checks and normalises, the compiler decides the SQL).
//!
//! Every value becomes a bind parameter, field names are validated (`FieldName`) and JSON paths
//! are passed as parameters too, so no input text ever becomes SQL text. A condition that cannot
//! be compiled is an `InvalidQuery` (102), `InvalidFieldName` (105) or `InvalidJson` (107) error;
//! the compiler never panics on input (see the property test below).

use serde_json::{Map, Value, json};
use tokio_postgres::types::ToSql;

use crate::data::Caller;
use crate::data::DataError;
use crate::data::access::{self, Action};
use crate::data::names::{ClassName, FieldName};
use crate::data::schema::{AppSchema, ClassSchema};
use crate::data::storage;
use crate::data::value::{self, FieldType};

use super::parse::{Arg, Cmp, Cond, Op, Parser, Regex, SubQuery, Test, Where};

/// A bind parameter.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// Bind parameters as a statement takes them.
pub fn param_refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

/// How deep `$or`/`$and`/sub-queries may nest.
pub(super) const MAX_DEPTH: usize = 16;

/// The longest `$in` answered by containment through the GIN index; a longer one compares
/// values (see `in_scalars`), through a schema index's expression when the field has one, else
/// by reading the class: each containment costs PostgreSQL a few kilobytes to run (100,000 of
/// them took a backend past 700 MB), so past this many the index is given up for a bound on
/// memory (about 10 MB here).
pub(super) const CONTAINMENT_IN_MAX: usize = 2_000;

/// Compiles conditions for one query, collecting the parameters in order.
pub struct Compiler<'a> {
    schema: &'a AppSchema,
    app_schema: &'a crate::apps::SchemaName,
    pub params: Vec<Param>,
    /// A distance expression to sort by when a `$nearSphere` appeared and no order was given.
    pub near_order: Option<String>,
    aliases: usize,
    /// Whose query this is: sub-queries on other classes obey the caller's access rules.
    caller: Option<&'a Caller>,
}

/// What a `where` key refers to.
#[derive(Debug, Clone)]
pub enum Field {
    ObjectId,
    CreatedAt,
    UpdatedAt,
    /// A path into `data`, with the schema's type of its first segment if known.
    /// `indexed`: a one-segment path whose field is in one of the class's schema indexes.
    Data {
        path: FieldPath,
        ty: Option<FieldType>,
        indexed: bool,
    },
}

/// A path into an object's data: a field name (checked, the only part SQL takes as written, in
/// [`typed_expr`]), then the keys below it (always bound as parameters).
#[derive(Debug, Clone)]
pub struct FieldPath {
    field: FieldName,
    path: Vec<String>,
}

impl FieldPath {
    pub fn field(&self) -> &FieldName {
        &self.field
    }
}

impl std::ops::Deref for FieldPath {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.path
    }
}

impl<'a> Compiler<'a> {
    pub fn new(schema: &'a AppSchema, app_schema: &'a crate::apps::SchemaName) -> Compiler<'a> {
        Compiler { schema, app_schema, params: Vec::new(), near_order: None, aliases: 0, caller: None }
    }

    /// Applies `caller`'s access rules to the sub-queries (`$select`, `$inQuery`, ...) too.
    pub fn for_caller(mut self, caller: &'a Caller) -> Compiler<'a> {
        self.caller = Some(caller);
        self
    }

    /// Binds a value and returns its placeholder.
    pub fn bind_param(&mut self, value: Param) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    /// The rows of `class` (aliased `alias`) a sub-query may read: `TRUE` for the master key,
    /// otherwise the caller's access conditions (error 119 when the class refuses `find`).
    fn readable(&mut self, class: &ClassSchema, alias: &str) -> Result<String, DataError> {
        let Some(caller) = self.caller else { return Ok("TRUE".into()) };
        Ok(access::check(caller, class, Action::Find, alias, &mut |p| self.bind_param(p))?.unwrap_or_else(|| "TRUE".into()))
    }

    /// A sub-query's own checks, as if it were a query of its own (Parse Server runs it as one):
    /// its `where` may not constrain, nor its `key` (`$select`) name, a field of its class
    /// protected from the caller (error 119). Its nested sub-queries are checked as they are
    /// compiled.
    fn check_subquery(&self, class: &ClassSchema, where_: &Value, key: Option<&str>) -> Result<(), DataError> {
        let Some(caller) = self.caller else { return Ok(()) };
        access::check_where(caller, class, where_)?;
        match key {
            Some(key) => access::check_select_key(caller, class, key),
            None => Ok(()),
        }
    }

    fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("q{}", self.aliases)
    }

    /// The SQL condition for a `where` object on `class`, whose rows are aliased `alias`: the
    /// `where` is read by [`super::parse`] (which refuses what may not be compiled, and defines
    /// what a query may say), then compiled from that tree.
    pub fn condition(&mut self, class: &ClassName, alias: &str, where_: &Value, depth: usize) -> Result<String, DataError> {
        let tree = Parser::new(self.schema).parse(class, where_, depth)?;
        self.compile(class, alias, &tree)
    }

    /// The SQL condition for a parsed `where`.
    pub fn compile(&mut self, class: &ClassName, alias: &str, w: &Where) -> Result<String, DataError> {
        let mut parts = Vec::new();
        // Equalities on typed fields, answered together by one containment of their values:
        // one condition for the planner however many fields, so planning stays linear.
        let mut contained = Map::new();
        for cond in &w.conds {
            let part = match cond {
                Cond::Or(subs) | Cond::And(subs) | Cond::Nor(subs) => {
                    if let (Cond::Or(_), Some((field, values))) = (cond, or_as_in(subs)) {
                        let part = self.in_list(alias, field, &values, false)?;
                        // As an `$in` of its own: one operator in parentheses.
                        parts.push(format!("({part})"));
                        continue;
                    }
                    let subs: Vec<String> = subs.iter().map(|w| self.compile(class, alias, w)).collect::<Result<_, _>>()?;
                    match cond {
                        Cond::Or(_) => format!("({})", subs.join(" OR ")),
                        Cond::And(_) => format!("({})", subs.join(" AND ")),
                        _ => format!("NOT ({})", subs.join(" OR ")),
                    }
                }
                Cond::RelatedTo { class: owner_class, object_id, key } => self.related_to(alias, owner_class, object_id, key),
                Cond::Field { field, test, .. } => {
                    if let Some((name, value)) = containable(field, test) {
                        contained.insert(name, value);
                        continue;
                    }
                    self.field_condition(class, alias, field, test)?
                }
            };
            parts.push(part);
        }
        if !contained.is_empty() {
            let p = self.bind(Value::Object(contained));
            parts.push(format!("({alias}.data @> {p}::jsonb)"));
        }
        Ok(if parts.is_empty() { "TRUE".into() } else { parts.join(" AND ") })
    }

    fn field(&self, class: &ClassName, key: &str) -> Result<Field, DataError> {
        field_of(self.schema, class, key)
    }

    /// The jsonb expression of a data path.
    fn json_expr(&mut self, alias: &str, path: &[String]) -> String {
        if path.len() == 1 {
            let p = self.bind(path[0].clone());
            format!("({alias}.data -> {p}::text)")
        } else {
            let p = self.bind(path.to_vec());
            format!("({alias}.data #> {p}::text[])")
        }
    }

    fn field_condition(&mut self, class: &ClassName, alias: &str, field: &Field, test: &Test) -> Result<String, DataError> {
        let ops = match test {
            // A value holding U+0000 (see `parse`): it must not reach PostgreSQL, which would refuse the query.
            Test::Const(b) => return Ok(if *b { "TRUE" } else { "FALSE" }.into()),
            // Equality with an object on a relation field: the objects whose relation holds it.
            Test::RelationHolds { object_id } => {
                let Field::Data { path, .. } = field else { return Ok("FALSE".into()) };
                let table = storage::join_table(self.app_schema, class, &path[0]);
                let p = self.bind(object_id.clone());
                return Ok(format!("({alias}.object_id IN (SELECT owning_id FROM {table} WHERE related_id = {p}))"));
            }
            Test::Eq(arg) => return self.equals(alias, field, arg),
            Test::Ops(ops) => ops,
        };
        let mut parts = Vec::new();
        for op in ops {
            let part = match op {
                Op::Eq(arg) => self.equals(alias, field, arg)?,
                Op::Ne(Arg::Json(Value::Null)) => self.exists(alias, field, true),
                // Objects without the field differ from any value (a typed comparison is NULL there).
                Op::Ne(arg) => format!("NOT COALESCE({}, FALSE)", self.equals(alias, field, arg)?),
                Op::Cmp(cmp, arg) => self.compare(alias, field, *cmp, arg)?,
                Op::In { values, null } => self.in_list(alias, field, values, *null)?,
                // Objects without the field are not in any list (the long forms are NULL there).
                Op::Nin { values, null } => format!("NOT COALESCE({}, FALSE)", self.in_list(alias, field, values, *null)?),
                Op::Exists(yes) => self.exists(alias, field, *yes),
                Op::All(values) => {
                    let Field::Data { path, .. } = field else { return Err(not_on_columns("$all")) };
                    let p = self.bind(nest(path, Value::Array(values.clone())));
                    format!("({alias}.data @> {p}::jsonb)")
                }
                // containsAllStartingWith: [{"$regex": "^..."}, ...]
                Op::AllRegex(patterns) => {
                    let Field::Data { path, .. } = field else { return Err(not_on_columns("$all")) };
                    let x = self.json_expr(alias, path);
                    let mut parts = Vec::new();
                    for pattern in patterns {
                        let p = self.bind(pattern.translated.clone());
                        parts.push(format!("EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({x}) = 'array' THEN {x} ELSE '[]'::jsonb END) e WHERE e ~ {p})"));
                    }
                    format!("({})", parts.join(" AND "))
                }
                Op::ContainedBy(list) => {
                    let x = self.data_expr(alias, field, "$containedBy")?;
                    let p = self.bind(Value::Array(list.clone()));
                    format!("(jsonb_typeof({x}) = 'array' AND {x} <@ {p}::jsonb)")
                }
                Op::Regex(regex) => self.regex(alias, field, regex),
                Op::Select { query, key, negate } => self.select(alias, field, query, key, *negate)?,
                Op::InQuery { query, negate } => self.in_query(alias, field, query, *negate)?,
                Op::Text { term, language } => {
                    let x = self.data_expr(alias, field, "$text")?;
                    let (l, t) = (self.bind(language.clone()), self.bind(term.clone()));
                    format!(
                        "(to_tsvector({l}::text::regconfig, COALESCE({x} #>> '{{}}', '')) @@ plainto_tsquery({l}::text::regconfig, {t}))"
                    )
                }
                Op::NearSphere { lat, lng, max_radians } => self.near(alias, field, *lat, *lng, *max_radians)?,
                Op::WithinBox { sw, ne } => {
                    let x = self.data_expr(alias, field, "$within")?;
                    let (a, b, c, d) = (self.bind(sw.0), self.bind(sw.1), self.bind(ne.0), self.bind(ne.1));
                    format!("(hearth_fn.geo_point({x}) <@ box(point({a}::float8, {b}::float8), point({c}::float8, {d}::float8)))")
                }
                Op::WithinPolygon(points) => {
                    let x = self.data_expr(alias, field, "$geoWithin")?;
                    let text = format!("({})", points.iter().map(|(a, b)| format!("({a},{b})")).collect::<Vec<_>>().join(","));
                    let p = self.bind(text);
                    format!("(hearth_fn.geo_point({x}) <@ CAST({p}::text AS polygon))")
                }
                Op::CenterSphere { lat, lng, radians } => {
                    let x = self.data_expr(alias, field, "$geoWithin")?;
                    let (a, b, r) = (self.bind(*lat), self.bind(*lng), self.bind(*radians));
                    format!("(hearth_fn.geo_distance({x}, {a}::float8, {b}::float8) <= {r}::float8)")
                }
                Op::GeoIntersects { lat, lng } => {
                    let x = self.data_expr(alias, field, "$geoIntersects")?;
                    let (a, b) = (self.bind(*lat), self.bind(*lng));
                    format!("(hearth_fn.geo_polygon({x}) @> point({a}::float8, {b}::float8))")
                }
            };
            parts.push(part);
        }
        Ok(if parts.is_empty() { "TRUE".into() } else { format!("({})", parts.join(" AND ")) })
    }

    fn data_expr(&mut self, alias: &str, field: &Field, op: &str) -> Result<String, DataError> {
        match field {
            Field::Data { path, .. } => Ok(self.json_expr(alias, path)),
            _ => Err(not_on_columns(op)),
        }
    }

    fn equals(&mut self, alias: &str, field: &Field, arg: &Arg) -> Result<String, DataError> {
        match (field, arg) {
            (Field::ObjectId, Arg::Json(Value::String(id))) => {
                let p = self.bind(id.clone());
                Ok(format!("({alias}.object_id = {p})"))
            }
            (Field::CreatedAt | Field::UpdatedAt, Arg::Date(date)) => {
                let column = if matches!(field, Field::CreatedAt) { "created_at" } else { "updated_at" };
                let p = self.bind(*date);
                Ok(format!("({alias}.{column} = {p})"))
            }
            (Field::Data { path, ty, indexed }, Arg::Json(v)) => {
                if v.is_null() {
                    let x = self.json_expr(alias, path);
                    return Ok(format!("({x} IS NULL OR {x} = 'null'::jsonb)"));
                }
                if v.is_array() {
                    return Ok(self.array_equals(alias, path, v.clone()));
                }
                let doc = nest(path, v.clone());
                let as_array = nest(path, json!([v]));
                match ty {
                    Some(FieldType::Array) => {
                        let p = self.bind(as_array);
                        Ok(format!("({alias}.data @> {p}::jsonb)"))
                    }
                    // A typed scalar in a schema index is compared through `typed_expr`, which
                    // the index is built on; elsewhere containment serves (the GIN index).
                    // Never both: PostgreSQL would count the one condition twice, expect next
                    // to no rows, and (with prepared, generic plans) sort a bitmap scan's rows
                    // instead of reading the index in order.
                    Some(t @ (FieldType::String | FieldType::Number)) if *indexed => {
                        let x = typed_expr(alias, path.field(), t);
                        let q = match v {
                            Value::Number(n) if matches!(t, FieldType::Number) => {
                                format!("{}::float8", self.bind(n.as_f64().unwrap_or(0.0)))
                            }
                            Value::String(s) if matches!(t, FieldType::String) => self.bind(s.clone()),
                            // A value of another type matches nothing; containment says so.
                            _ => {
                                let p = self.bind(doc);
                                return Ok(format!("({alias}.data @> {p}::jsonb)"));
                            }
                        };
                        Ok(format!("({x} = {q})"))
                    }
                    Some(_) => {
                        let p = self.bind(doc);
                        Ok(format!("({alias}.data @> {p}::jsonb)"))
                    }
                    // The type is unknown (a nested path): the value, or an array holding it.
                    None => {
                        let (p, q) = (self.bind(doc), self.bind(as_array));
                        Ok(format!("({alias}.data @> {p}::jsonb OR {alias}.data @> {q}::jsonb)"))
                    }
                }
            }
            _ => Ok("FALSE".into()),
        }
    }
    /// Equality with an array, as Parse (on MongoDB) has it: the field is that array, in that
    /// order, or an array holding it as an element. Containment finds the candidates through
    /// the GIN index; the exact comparison decides (containment alone would find any superset,
    /// and every array contains `[]`). Never NULL, so `$ne` (its negation) keeps objects
    /// without the field.
    fn array_equals(&mut self, alias: &str, path: &[String], v: Value) -> String {
        let (whole, element) = (self.bind(nest(path, v.clone())), self.bind(nest(path, json!([v.clone()]))));
        let x = self.json_expr(alias, path);
        let p = self.bind(v);
        format!(
            "(({alias}.data @> {whole}::jsonb AND {x} = {p}::jsonb) OR ({alias}.data @> {element}::jsonb AND \
             EXISTS (SELECT 1 FROM jsonb_array_elements({x}) e WHERE e = {p}::jsonb)))"
        )
    }

    fn exists(&mut self, alias: &str, field: &Field, yes: bool) -> String {
        let cond = match field {
            Field::Data { path, .. } => {
                let x = self.json_expr(alias, path);
                format!("({x} IS NOT NULL AND {x} <> 'null'::jsonb)")
            }
            _ => "TRUE".into(),
        };
        if yes { cond } else { format!("NOT {cond}") }
    }

    fn compare(&mut self, alias: &str, field: &Field, cmp: Cmp, arg: &Arg) -> Result<String, DataError> {
        let sql_op = match cmp {
            Cmp::Lt => "<",
            Cmp::Lte => "<=",
            Cmp::Gt => ">",
            Cmp::Gte => ">=",
        };
        match (field, arg) {
            (Field::ObjectId, Arg::Json(Value::String(id))) => {
                let p = self.bind(id.clone());
                Ok(format!("({alias}.object_id COLLATE \"C\" {sql_op} {p})"))
            }
            (Field::CreatedAt | Field::UpdatedAt, Arg::Date(date)) => {
                let column = if matches!(field, Field::CreatedAt) { "created_at" } else { "updated_at" };
                let p = self.bind(*date);
                Ok(format!("({alias}.{column} {sql_op} {p})"))
            }
            (Field::Data { path, ty, .. }, Arg::Json(value)) => {
                // With the type known from the schema, every stored value has it (or is null),
                // so the cheap extraction is safe and lets PostgreSQL plan with indexes.
                if path.len() == 1 {
                    // Bound only in the arms that use it: an unused parameter has no type.
                    match (ty, value) {
                        (Some(FieldType::Number), Value::Number(n)) => {
                            let x = typed_expr(alias, path.field(), &FieldType::Number);
                            let p = self.bind(n.as_f64().unwrap_or(0.0));
                            return Ok(format!("({x} {sql_op} {p}::float8)"));
                        }
                        (Some(FieldType::String), Value::String(s)) => {
                            let x = typed_expr(alias, path.field(), &FieldType::String);
                            let p = self.bind(s.clone());
                            return Ok(format!("({x} {sql_op} {p})"));
                        }
                        (Some(FieldType::Date), Value::Object(date)) => {
                            let x = typed_expr(alias, path.field(), &FieldType::Date);
                            let p = self.bind(date.get("iso").and_then(Value::as_str).unwrap_or_default().to_string());
                            return Ok(format!("({x} {sql_op} {p})"));
                        }
                        _ => {}
                    }
                }
                let x = self.json_expr(alias, path);
                match value {
                    Value::Number(n) => {
                        let p = self.bind(n.as_f64().unwrap_or(0.0));
                        Ok(format!("((CASE WHEN jsonb_typeof({x}) = 'number' THEN ({x})::float8 END) {sql_op} {p}::float8)"))
                    }
                    Value::String(s) => {
                        let p = self.bind(s.clone());
                        Ok(format!("((CASE WHEN jsonb_typeof({x}) = 'string' THEN {x} #>> '{{}}' END) COLLATE \"C\" {sql_op} {p})"))
                    }
                    // A Date, its `iso` in Parse's form (see `parse`).
                    _ => {
                        let p = self.bind(value.get("iso").and_then(Value::as_str).unwrap_or_default().to_string());
                        Ok(format!(
                            "((CASE WHEN jsonb_typeof({x}) = 'object' THEN {x} ->> '__type' END) = 'Date' AND ({x} ->> 'iso') COLLATE \"C\" {sql_op} {p})"
                        ))
                    }
                }
            }
            _ => Ok("FALSE".into()),
        }
    }

    fn in_list(&mut self, alias: &str, field: &Field, items: &[Arg], null: bool) -> Result<String, DataError> {
        match field {
            Field::ObjectId => {
                let ids: Vec<String> = items.iter().filter_map(Arg::json).filter_map(Value::as_str).map(str::to_string).collect();
                let p = self.bind(ids);
                Ok(format!("({alias}.object_id = ANY({p}::text[]))"))
            }
            Field::CreatedAt | Field::UpdatedAt => {
                let column = if matches!(field, Field::CreatedAt) { "created_at" } else { "updated_at" };
                let dates: Vec<chrono::DateTime<chrono::Utc>> =
                    items.iter().filter_map(|a| if let Arg::Date(d) = a { Some(*d) } else { None }).collect();
                let p = self.bind(dates);
                Ok(format!("({alias}.{column} = ANY({p}::timestamptz[]))"))
            }
            Field::Data { path, ty, indexed } => {
                let values: Vec<Value> = items.iter().filter_map(Arg::json).cloned().collect();
                let long = values.len() > CONTAINMENT_IN_MAX;
                let mut cond = if long && values.iter().all(|v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))) {
                    self.in_scalars(alias, path, ty.as_ref(), *indexed, values)
                } else if long && values.iter().all(|v| v.get("__type").and_then(Value::as_str) == Some("Pointer")) {
                    self.in_pointers(alias, path, ty.as_ref(), &values)?
                } else {
                    // Containment finds them through the GIN index: the value itself, or an
                    // array holding it, as the field's type allows.
                    let mut docs = Vec::with_capacity(values.len());
                    for v in values {
                        if !v.is_array() && !matches!(ty, Some(t) if *t != FieldType::Array) {
                            docs.push(nest(path, json!([v.clone()])));
                        }
                        if v.is_array() || !matches!(ty, Some(FieldType::Array)) {
                            docs.push(nest(path, v));
                        }
                    }
                    let p = self.bind(docs);
                    format!("{alias}.data @> ANY({p}::jsonb[])")
                };
                if null {
                    let x = self.json_expr(alias, path);
                    cond = format!("{cond} OR {x} IS NULL OR {x} = 'null'::jsonb");
                }
                Ok(format!("({cond})"))
            }
        }
    }
    /// A long `$in` of strings, numbers and booleans, compared for equality (PostgreSQL hashes
    /// the list): one containment per value would cost the executor memory per value.
    fn in_scalars(&mut self, alias: &str, path: &FieldPath, ty: Option<&FieldType>, indexed: bool, values: Vec<Value>) -> String {
        if let (Some(t @ (FieldType::Number | FieldType::String)), true, 1) = (ty, indexed, path.len()) {
            // Through the schema index's expression, when every value has the field's type.
            let x = typed_expr(alias, path.field(), t);
            if *t == FieldType::Number && values.iter().all(Value::is_number) {
                let p = self.bind(values.iter().filter_map(Value::as_f64).collect::<Vec<f64>>());
                return format!("{x} = ANY({p}::float8[])");
            }
            if *t == FieldType::String && values.iter().all(Value::is_string) {
                let p = self.bind(values.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<String>>());
                return format!("{x} = ANY({p}::text[])");
            }
        }
        // The list as one jsonb array, read as a set: `= ANY(jsonb[])` would have the planner
        // estimate each value on its own (over 300 MB for 100,000 of them).
        let x = self.json_expr(alias, path);
        let p = self.bind(Value::Array(values));
        let set = format!("(SELECT jsonb_array_elements({p}::jsonb))");
        let element = format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({x}) = 'array' THEN {x} ELSE '[]'::jsonb END) e WHERE e IN {set})"
        );
        match ty {
            Some(FieldType::Array) => element,
            Some(_) => format!("{x} IN {set}"),
            None => format!("({x} IN {set} OR {element})"),
        }
    }

    /// A long `$in` of pointers, compared by class and id.
    fn in_pointers(&mut self, alias: &str, path: &[String], ty: Option<&FieldType>, values: &[Value]) -> Result<String, DataError> {
        let keys: Vec<String> = values
            .iter()
            .map(|v| value::pointer_parts(v.as_object().expect("a pointer is an object")).map(|(class, id)| format!("{class}:{id}")))
            .collect::<Result<_, _>>()?;
        let x = self.json_expr(alias, path);
        let p = self.bind(keys);
        let key = |e: &str| format!("(({e} ->> 'className') || ':' || ({e} ->> 'objectId'))");
        let element = format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({x}) = 'array' THEN {x} ELSE '[]'::jsonb END) e WHERE {} = ANY({p}::text[]))",
            key("e")
        );
        let direct = format!("(jsonb_typeof({x}) = 'object' AND {} = ANY({p}::text[]))", key(&x));
        Ok(match ty {
            Some(FieldType::Array) => element,
            Some(_) => direct,
            None => format!("({direct} OR {element})"),
        })
    }

    fn regex(&mut self, alias: &str, field: &Field, regex: &Regex) -> String {
        let p = self.bind(regex.translated.clone());
        let x = match field {
            Field::Data { path, .. } => {
                let x = self.json_expr(alias, path);
                format!("(CASE WHEN jsonb_typeof({x}) = 'string' THEN {x} #>> '{{}}' END)")
            }
            _ => format!("{alias}.object_id"),
        };
        format!("({x} ~ {p})")
    }

    /// `$select`/`$dontSelect`: the field's value is (not) among the values of `key` in the
    /// objects another query finds.
    fn select(&mut self, alias: &str, field: &Field, query: &SubQuery, key: &str, negate: bool) -> Result<String, DataError> {
        let bad = || DataError::InvalidQuery("improper usage of $select".into());
        let class = &query.class;
        let sub = self.alias();
        let sub_field = self.field(class, key)?;
        if let Some(schema) = self.schema.class(class) {
            self.check_subquery(&schema, &query.raw, Some(key))?;
        }
        let sub_value = match &sub_field {
            Field::ObjectId => format!("to_jsonb({sub}.object_id)"),
            Field::CreatedAt | Field::UpdatedAt => return Err(bad()),
            Field::Data { path, .. } => self.json_expr(&sub, path),
        };
        let sub_where = self.compile(class, &sub, &query.where_)?;
        let x = match field {
            Field::ObjectId => format!("to_jsonb({alias}.object_id)"),
            Field::CreatedAt | Field::UpdatedAt => return Err(bad()),
            Field::Data { path, .. } => self.json_expr(alias, path),
        };
        let subquery = if let Some(schema) = self.schema.class(class) {
            let readable = self.readable(&schema, &sub)?;
            format!("SELECT {sub_value} FROM {} {sub} WHERE {sub_where} AND {readable}", class.table(self.app_schema))
        } else {
            "SELECT NULL::jsonb WHERE FALSE".into()
        };
        let cond = format!("COALESCE({x} = ANY(ARRAY({subquery})), FALSE)");
        Ok(if negate { format!("NOT {cond}") } else { cond })
    }

    /// `$inQuery`/`$notInQuery`: the pointer field points (not) to an object the sub-query finds.
    fn in_query(&mut self, alias: &str, field: &Field, query: &SubQuery, negate: bool) -> Result<String, DataError> {
        let class = &query.class;
        let x = self.data_expr(alias, field, "$inQuery")?;
        let sub = self.alias();
        if let Some(schema) = self.schema.class(class) {
            self.check_subquery(&schema, &query.raw, None)?;
        }
        let sub_where = self.compile(class, &sub, &query.where_)?;
        let class_param = self.bind(class.as_str().to_string());
        let subquery = if let Some(schema) = self.schema.class(class) {
            let readable = self.readable(&schema, &sub)?;
            format!("SELECT {sub}.object_id FROM {} {sub} WHERE {sub_where} AND {readable}", class.table(self.app_schema))
        } else {
            "SELECT NULL::text WHERE FALSE".into()
        };
        let cond = format!("COALESCE(({x} ->> 'className') = {class_param} AND ({x} ->> 'objectId') = ANY(ARRAY({subquery})), FALSE)");
        Ok(if negate { format!("NOT {cond}") } else { cond })
    }

    fn related_to(&mut self, alias: &str, owner_class: &ClassName, owner_id: &str, key: &FieldName) -> String {
        match self.schema.class(owner_class).and_then(|c| c.field(key.as_str()).cloned()) {
            Some(FieldType::Relation(_)) => {
                let table = storage::join_table(self.app_schema, owner_class, key.as_str());
                let p = self.bind(owner_id.to_string());
                format!("({alias}.object_id IN (SELECT related_id FROM {table} WHERE owning_id = {p}))")
            }
            _ => "FALSE".into(),
        }
    }

    fn near(&mut self, alias: &str, field: &Field, lat: f64, lng: f64, max: Option<f64>) -> Result<String, DataError> {
        let x = self.data_expr(alias, field, "$nearSphere")?;
        let (a, b) = (self.bind(lat), self.bind(lng));
        let distance = format!("hearth_fn.geo_distance({x}, {a}::float8, {b}::float8)");
        if self.near_order.is_none() {
            self.near_order = Some(distance.clone());
        }
        match max {
            None => Ok(format!("({distance} IS NOT NULL)")),
            Some(max) => {
                let m = self.bind(max);
                Ok(format!("({distance} <= {m}::float8)"))
            }
        }
    }

    /// The ORDER BY list for Parse's `order` (`score,-name`), or the `$nearSphere` distance.
    pub fn order(&mut self, class: &ClassName, alias: &str, order: Option<&str>) -> Result<String, DataError> {
        let mut parts = Vec::new();
        let order = order.unwrap_or("");
        let keys: Vec<&str> = if order.trim().is_empty() { Vec::new() } else { order.split(',').map(str::trim).collect() };
        // An order on a field protected from the caller would reveal how its values compare.
        if let Some(caller) = self.caller
            && let Some(schema) = self.schema.class(class)
        {
            let fields: Vec<&str> = keys.iter().map(|k| k.strip_prefix('-').unwrap_or(k)).collect();
            access::check_order(caller, &schema, &fields)?;
        }
        for key in keys {
            if key.is_empty() || key == "-" {
                return Err(DataError::InvalidFieldName(order.to_string()));
            }
            let (desc, key) = match key.strip_prefix('-') {
                Some(k) => (true, k),
                None => (false, key),
            };
            if key == "$score" {
                continue;
            }
            // The built-in columns are never null: no NULLS clause, so that their indexes
            // (ascending, nulls last) serve the order both ways.
            let field = self.field(class, key)?;
            let never_null = matches!(field, Field::ObjectId | Field::CreatedAt | Field::UpdatedAt);
            let expr = match field {
                Field::ObjectId => format!("{alias}.object_id COLLATE \"C\""),
                Field::CreatedAt => format!("{alias}.created_at"),
                Field::UpdatedAt => format!("{alias}.updated_at"),
                Field::Data { path, ty, .. }
                    if path.len() == 1 && matches!(ty, Some(FieldType::Number | FieldType::String | FieldType::Date)) =>
                {
                    // Typed by the schema: the cheap extraction is safe (see `compare`).
                    typed_expr(alias, path.field(), ty.as_ref().expect("matched a type"))
                }
                Field::Data { path, .. } => self.json_expr(alias, &path),
            };
            let direction = match (desc, never_null) {
                (true, true) => "DESC",
                (false, true) => "ASC",
                (true, false) => "DESC NULLS LAST",
                (false, false) => "ASC NULLS FIRST",
            };
            parts.push(format!("{expr} {direction}"));
        }
        if parts.is_empty()
            && let Some(distance) = &self.near_order
        {
            parts.push(format!("{distance} ASC"));
        }
        Ok(parts.join(", "))
    }
}

/// What `key` refers to in `class`: a built-in column, or a checked path into the data with the
/// schema's type of its field.
pub(super) fn field_of(schema: &AppSchema, class: &ClassName, key: &str) -> Result<Field, DataError> {
    match key {
        "objectId" => return Ok(Field::ObjectId),
        "createdAt" => return Ok(Field::CreatedAt),
        "updatedAt" => return Ok(Field::UpdatedAt),
        _ => {}
    }
    let mut segments = key.split('.');
    let first = FieldName::parse(segments.next().unwrap_or_default())?;
    let mut path = vec![first.as_str().to_string()];
    let field = first.clone();
    for segment in segments {
        if segment.is_empty() || segment.contains('$') {
            return Err(DataError::InvalidFieldName(key.to_string()));
        }
        path.push(segment.to_string());
    }
    let schema = schema.class(class);
    let ty = schema.as_ref().and_then(|c| c.field(first.as_str()).cloned()).filter(|_| path.len() == 1);
    let indexed = path.len() == 1 && schema.is_some_and(|c| c.indexed(first.as_str()));
    Ok(Field::Data { path: FieldPath { field, path }, ty, indexed })
}

/// The SQL expression of a top-level field whose schema type is `ty`, as queries compare and sort
/// it and as schema indexes are built on it (`schema::apply_indexes`), so that PostgreSQL
/// matches the two. The name is a validated field name (letters, digits, `_`), so it is written
/// as a literal: a parameter would hide the expression from the planner's index matching.
pub fn typed_expr(alias: &str, name: &FieldName, ty: &FieldType) -> String {
    let name = name.as_str();
    let data = if alias.is_empty() { "data".to_string() } else { format!("{alias}.data") };
    match ty {
        FieldType::Number => format!("(({data} ->> '{name}')::float8)"),
        FieldType::String => format!("(({data} ->> '{name}') COLLATE \"C\")"),
        FieldType::Date => format!("(({data} -> '{name}' ->> 'iso') COLLATE \"C\")"),
        _ => format!("({data} -> '{name}')"),
    }
}

/// A field's equality that one containment of the object's data answers, with the value to
/// contain: a typed top-level field (not a relation, not in a schema index, which compares
/// through its typed expression) and a plain value that is not null and not an array (an array
/// is compared exactly, see `array_equals`). An array field's scalar is contained as `[v]`.
fn containable(field: &Field, test: &Test) -> Option<(String, Value)> {
    let (Field::Data { path, ty: Some(ty), indexed }, Test::Eq(Arg::Json(v))) = (field, test) else { return None };
    if path.len() != 1 || matches!(v, Value::Null | Value::Array(_)) || matches!(ty, FieldType::Relation(_)) {
        return None;
    }
    if *indexed && matches!(ty, FieldType::String | FieldType::Number) && matches!(v, Value::String(_) | Value::Number(_)) {
        return None;
    }
    let v = if matches!(ty, FieldType::Array) { json!([v]) } else { v.clone() };
    Some((path[0].clone(), v))
}

/// An `$or` whose items each ask one field (the same in all) to equal a plain value (not null,
/// not an array, not a pointer) is an `$in` on that field: one array parameter instead of one
/// condition per item, which PostgreSQL plans in constant memory (a long `OR` of containments
/// costs it per item). [`super::eval`] reads `$or`s the same way.
pub(super) fn or_as_in(subs: &[Where]) -> Option<(&Field, Vec<Arg>)> {
    let mut key = None;
    let mut values = Vec::with_capacity(subs.len());
    for sub in subs {
        let [Cond::Field { key: k, field, test: Test::Eq(arg) }] = sub.conds.as_slice() else { return None };
        let plain = match arg {
            Arg::Json(Value::Array(_) | Value::Null) => false,
            Arg::Json(Value::Object(m)) => m.get("__type").and_then(Value::as_str) != Some("Pointer"),
            _ => true,
        };
        if !plain || key.is_some_and(|(key, _)| key != k) || matches!(field, Field::Data { ty: Some(FieldType::Relation(_)), .. }) {
            return None;
        }
        key = Some((k, field));
        values.push(arg.clone());
    }
    key.map(|(_, field)| (field, values))
}

fn not_on_columns(op: &str) -> DataError {
    DataError::InvalidQuery(format!("{op} cannot be used on objectId, createdAt or updatedAt"))
}

pub(super) fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// `{"a": {"b": v}}` for the path `a.b`.
pub(super) fn nest(path: &[String], value: Value) -> Value {
    path.iter().rev().fold(value, |inner, key| {
        let mut map = Map::new();
        map.insert(key.clone(), inner);
        Value::Object(map)
    })
}

/// A query value in its stored form (dates normalised, typed values checked).
pub(super) fn normalised(value: &Value) -> Result<Value, DataError> {
    let mut v = value.clone();
    if let Value::Object(map) = &v
        && map.keys().any(|k| k.starts_with('$'))
    {
        return Err(DataError::InvalidQuery(format!("bad value: {value}")));
    }
    value::type_of(&mut v).map_err(|e| DataError::InvalidQuery(e.to_string()))?;
    Ok(v)
}

pub(super) fn normalised_array(items: &[Value]) -> Result<Value, DataError> {
    Ok(Value::Array(items.iter().map(normalised).collect::<Result<_, _>>()?))
}

pub(super) fn date_param(value: &Value) -> Result<chrono::DateTime<chrono::Utc>, DataError> {
    let iso = match value {
        Value::Object(map) if map.get("__type").and_then(Value::as_str) == Some("Date") => map.get("iso").and_then(Value::as_str),
        Value::String(s) => Some(s.as_str()),
        _ => None,
    };
    iso.and_then(value::parse_date).ok_or_else(|| DataError::InvalidQuery(format!("bad date value: {value}")))
}

pub(super) fn geo(value: &Value) -> Result<(f64, f64), DataError> {
    match value {
        Value::Object(map) if map.get("__type").and_then(Value::as_str) == Some("GeoPoint") => value::geo_point(map),
        _ => Err(DataError::InvalidQuery(format!("bad GeoPoint: {value}"))),
    }
}

/// Translates a Parse (PCRE-style) pattern and options to a PostgreSQL regular expression:
/// `\Q...\E` literal sections are escaped, and `i m s x` become embedded options with the same
/// meaning (`m`: `^`/`$` at line breaks; `s`: `.` matches a newline).
pub fn translate_regex(pattern: &str, options: &str) -> Result<String, DataError> {
    if let Some(bad) = options.chars().find(|c| !"imsx".contains(*c)) {
        return Err(DataError::InvalidQuery(format!("Unsupported regex option: {bad}")));
    }
    let (m, s) = (options.contains('m'), options.contains('s'));
    let mut flags = String::from(match (m, s) {
        (false, false) => "p",
        (false, true) => "s",
        (true, false) => "n",
        (true, true) => "w",
    });
    if options.contains('i') {
        flags.push('i');
    }
    if options.contains('x') {
        flags.push('x');
    }
    let mut out = format!("(?{flags})");
    let mut rest = pattern;
    while let Some(start) = rest.find("\\Q") {
        out.push_str(&rest[..start]);
        let literal_start = start + 2;
        let (literal, next) = match rest[literal_start..].find("\\E") {
            Some(end) => (&rest[literal_start..literal_start + end], &rest[literal_start + end + 2..]),
            None => (&rest[literal_start..], ""),
        };
        for c in literal.chars() {
            if c.is_ascii_alphanumeric() || c == ' ' || !c.is_ascii() {
                out.push(c);
            } else {
                out.push('\\');
                out.push(c);
            }
        }
        rest = next;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schema::AppSchema;

    /// Compiles against a schema where `n` is a Number, `s` a String and `d` a Date, `s` and `n`
    /// in a schema index (so both the typed and the untyped paths run), and checks that every bound parameter is used:
    /// PostgreSQL cannot type a parameter the statement never mentions.
    fn compile(w: Value) -> Result<(String, usize), DataError> {
        use std::collections::{BTreeMap, HashMap};
        use std::sync::Arc;
        let class = ClassName::parse("Thing").unwrap();
        let fields = BTreeMap::from([
            ("n".to_string(), FieldType::Number),
            ("s".to_string(), FieldType::String),
            ("d".to_string(), FieldType::Date),
            ("b".to_string(), FieldType::Boolean),
            ("tags".to_string(), FieldType::Array),
        ]);
        let thing = crate::data::schema::ClassSchema {
            name: class.clone(),
            fields,
            options: BTreeMap::new(),
            clp: json!({}),
            indexes: json!({"s_n": {"s": 1, "n": -1}}),
        };
        let schema = AppSchema { classes: HashMap::from([("Thing".to_string(), Arc::new(thing))]) };
        let app_schema = crate::apps::SchemaName::of_app(1);
        let mut c = Compiler::new(&schema, &app_schema);
        let mut sql = c.condition(&class, "t", &w, 0)?;
        sql.push_str(&c.order(&class, "t", Some("n,-s,d"))?);
        for i in 1..=c.params.len() {
            let used = sql.match_indices(&format!("${i}")).any(|(at, m)| !sql[at + m.len()..].starts_with(|ch: char| ch.is_ascii_digit()));
            assert!(used, "parameter ${i} is never used in {sql} (from {w})");
        }
        Ok((sql, c.params.len()))
    }

    /// Schema indexes are built on `typed_expr`; typed conditions and orders must use exactly
    /// that text, or PostgreSQL cannot match them to the index.
    #[test]
    fn typed_fields_compile_to_the_indexed_expressions() {
        let (sql, _) =
            compile(json!({"s": "a", "n": {"$gte": 1}, "d": {"$lt": {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}}})).unwrap();
        for ty in [FieldType::String, FieldType::Number, FieldType::Date] {
            let name = match ty {
                FieldType::String => "s",
                FieldType::Number => "n",
                _ => "d",
            };
            let x = typed_expr("t", &FieldName::parse(name).unwrap(), &ty);
            assert!(sql.matches(&x).count() >= 2, "{x} is compared and sorted in {sql}");
        }
        // Equality on an indexed typed field is the typed comparison alone; on a field in no
        // index, containment (the GIN index).
        assert!(!sql.contains("t.data @> $"), "{sql}");
        let (sql, _) = compile(json!({"d": {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}, "other": 1})).unwrap();
        assert!(sql.contains("t.data @> $"), "{sql}");
        // A value of the wrong type falls back to containment only (it matches nothing): the
        // typed expression appears once, in the order.
        let (sql, _) = compile(json!({"n": "text"})).unwrap();
        assert_eq!(sql.matches(&typed_expr("t", &FieldName::parse("n").unwrap(), &FieldType::Number)).count(), 1, "{sql}");
    }

    /// What a client sends many of compiles to a statement that does not grow with it: an `$or`
    /// of equalities on one field is one `$in`, equalities on typed fields one containment, a
    /// long `$in` one set parameter.
    #[test]
    fn large_shapes_compile_to_few_conditions() {
        let or: Vec<Value> = (0..300).map(|i| json!({"x": format!("v{i}")})).collect();
        let (sql, n) = compile(json!({"$or": or})).unwrap();
        assert!(n <= 4 && !sql.contains(" OR t.data @>"), "{n} parameters: {sql}");
        let or: Vec<Value> = (0..300).map(|i| json!({"objectId": format!("id{i}")})).collect();
        let (sql, n) = compile(json!({"$or": or})).unwrap();
        assert!(n <= 4 && sql.contains("object_id = ANY"), "{n} parameters: {sql}");
        let (sql, _) = compile(json!({"d": {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}, "b": true, "tags": "red"})).unwrap();
        assert_eq!(sql.matches("t.data @>").count(), 1, "one containment for three typed equalities: {sql}");
        let long: Vec<i64> = (0..5_000).collect();
        let (sql, n) = compile(json!({"x": {"$in": long}})).unwrap();
        assert!(n <= 4 && sql.contains("jsonb_array_elements"), "{n} parameters: {sql}");
        let (sql, _) = compile(json!({"n": {"$in": long}})).unwrap();
        assert!(sql.contains("= ANY(") && sql.contains("::float8[]"), "an indexed number's long $in uses its index: {sql}");
        // Items of different fields, or not plain equalities, stay an OR.
        let (sql, _) = compile(json!({"$or": [{"x": 1}, {"y": 2}]})).unwrap();
        assert!(sql.contains(" OR "), "{sql}");
    }

    /// The built-in columns are never null: their order has no NULLS clause, which their plain
    /// indexes could not serve (a million-row class would be sorted whole for each page).
    #[test]
    fn built_in_columns_sort_without_a_nulls_clause() {
        let schema = AppSchema { classes: Default::default() };
        let app_schema = crate::apps::SchemaName::of_app(1);
        let mut c = Compiler::new(&schema, &app_schema);
        let class = ClassName::parse("Thing").unwrap();
        let sql = c.order(&class, "t", Some("-createdAt,objectId,updatedAt,other")).unwrap();
        assert!(
            sql.contains("t.created_at DESC,") && sql.contains("t.object_id COLLATE \"C\" ASC,") && sql.contains("t.updated_at ASC,"),
            "{sql}"
        );
        assert_eq!(sql.matches("NULLS").count(), 1, "only the data field keeps its nulls order: {sql}");
    }

    #[test]
    fn values_become_parameters() {
        let (sql, n) = compile(json!({"name": "x'); DROP TABLE apps; --", "score": {"$gt": 5}})).unwrap();
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(n >= 3, "{sql}");
    }

    #[test]
    fn bad_input_is_a_parse_error() {
        let cases = [
            json!({"a": {"$foo": 1}}),
            json!({"$where": "1"}),
            json!({"a": {"$regex": 5}}),
            json!({"a": {"$regex": "x", "$options": "q"}}),
            json!({"a'b": 1}),
            json!({"$or": "x"}),
            json!({"a": {"$exists": "yes"}}),
            json!({"a": {"$in": 5}}),
            json!({"createdAt": {"$lt": "not a date"}}),
            json!([1, 2]),
        ];
        for case in cases {
            assert!(compile(case.clone()).is_err(), "{case}");
        }
    }

    #[test]
    fn regex_translation() {
        assert_eq!(translate_regex("^\\Qa.b*\\E", "").unwrap(), "(?p)^a\\.b\\*");
        assert_eq!(translate_regex("x", "im").unwrap(), "(?ni)x");
        assert_eq!(translate_regex("x", "msx").unwrap(), "(?wx)x");
    }

    /// Any JSON either compiles or is a Parse error: generated where-objects from a small
    /// grammar of keys, operators and values, thousands of them, never panic.
    #[test]
    fn arbitrary_where_objects_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let keys = [
            "a",
            "b.c",
            "n",
            "s",
            "d",
            "objectId",
            "createdAt",
            "$or",
            "$and",
            "$nor",
            "$relatedTo",
            "bad key",
            "",
            "a.$x",
            "_x",
            "$regex",
        ];
        let ops = [
            "$lt",
            "$gt",
            "$lte",
            "$gte",
            "$ne",
            "$in",
            "$nin",
            "$exists",
            "$all",
            "$containedBy",
            "$regex",
            "$options",
            "$select",
            "$dontSelect",
            "$inQuery",
            "$notInQuery",
            "$text",
            "$nearSphere",
            "$maxDistance",
            "$within",
            "$geoWithin",
            "$geoIntersects",
            "$eq",
            "$zzz",
        ];
        fn value(rng: &mut rand::rngs::StdRng, depth: u32, keys: &[&str], ops: &[&str]) -> Value {
            match rng.random_range(0..if depth > 3 { 6 } else { 10 }) {
                0 => Value::Null,
                1 => json!(rng.random_range(-1000.0..1000.0)),
                2 => json!((["x", "(?", "\\Q", "[", "\u{0}", "é"][rng.random_range(0..6)])),
                3 => json!(rng.random_bool(0.5)),
                4 => {
                    json!({"__type": (["Date", "Pointer", "GeoPoint", "Polygon", "Bytes", "X"][rng.random_range(0..6)]), "iso": "2024-01-01T00:00:00Z", "latitude": rng.random_range(-100.0..100.0), "longitude": 3, "className": "A", "objectId": "x"})
                }
                5 => json!([1, "a", null]),
                6 => Value::Array((0..rng.random_range(0..3)).map(|_| value(rng, depth + 1, keys, ops)).collect()),
                _ => {
                    let mut map = Map::new();
                    for _ in 0..rng.random_range(0..3) {
                        let k =
                            if rng.random_bool(0.5) { keys[rng.random_range(0..keys.len())] } else { ops[rng.random_range(0..ops.len())] };
                        map.insert(k.to_string(), value(rng, depth + 1, keys, ops));
                    }
                    if rng.random_bool(0.2) {
                        map.insert("query".into(), json!({"className": "B", "where": value(rng, depth + 1, keys, ops)}));
                        map.insert("key".into(), json!("a"));
                    }
                    Value::Object(map)
                }
            }
        }
        for _ in 0..20_000 {
            let w = value(&mut rng, 0, &keys, &ops);
            let _ = compile(w);
        }
    }
}
