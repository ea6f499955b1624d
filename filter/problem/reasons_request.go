package problem

// Reasons of request protection (docs/order-of-checks.md step 1 and the `request` block).
// ReasonUnsafePath and ReasonMethodOverride (step 1) are declared with the
// foundation's reasons. The json_* reasons name reqcheck.Failure values one
// for one (a plugin test holds them equal).
const (
	// 400: a forbid_query_params name in the query string.
	ReasonForbiddenQueryParam Reason = "forbidden_query_param"
	// 413: a declared Content-Length or a counted body over max_body_bytes.
	ReasonBodyTooLarge Reason = "body_too_large"
	// 400: a Content-Length that is not a decimal number, on a capped route.
	ReasonBadContentLength Reason = "bad_content_length"
	// 400: an upgrade (WebSocket) or CONNECT request on a route that reads
	// bodies or inspects responses.
	ReasonUpgradeRefused Reason = "upgrade_refused"

	// 400: the JSON body checks (request.json, and well-formedness on
	// body_owner routes).
	ReasonJSONSyntax           Reason = "json_syntax"
	ReasonJSONDepth            Reason = "json_depth"
	ReasonJSONKeys             Reason = "json_keys"
	ReasonJSONItems            Reason = "json_items"
	ReasonJSONStringSize       Reason = "json_string_size"
	ReasonJSONDuplicateKey     Reason = "json_duplicate_key"
	ReasonJSONDuplicateKeyCase Reason = "json_duplicate_key_case"
	ReasonJSONUTF8             Reason = "json_utf8"
	ReasonJSONTrailingData     Reason = "json_trailing_data"
	ReasonJSONEmpty            Reason = "json_empty"
	ReasonJSONInvalid          Reason = "json_invalid"
	ReasonJSONFieldMissing     Reason = "json_field_missing"
	ReasonJSONFieldType        Reason = "json_field_type"

	// 400: the body fails its schema (request.json.schema,
	// docs/schemas.md): a violation of a keyword.
	ReasonJSONSchema Reason = "json_schema"
	// 400: the body's only schema violations are members the schema does
	// not allow (readOnly, undeclared, case variants of declared names, a
	// member under a false schema): mass assignment.
	ReasonJSONSchemaNotAllowed Reason = "json_schema_not_allowed"
	// 400: on a request.json route, a query parameter named like a
	// top-level member of the JSON body (Rails merges the query over the
	// body, so the upstream would read a value the checks never saw).
	ReasonJSONQueryShadow Reason = "json_query_shadow"
	// 400: on a request.json route, a JSON body sent as a form (or as an
	// untyped POST) whose form reading has fields after its first: PHP,
	// Rack and Laravel would bind them beside what the JSON checks saw.
	ReasonJSONFormFields Reason = "json_form_fields"
)

// Reasons of step 1's query and cookie checks (docs/configuration.md "Query and cookie
// names").
const (
	// 400: a query parameter whose name holds a control character (C0 or
	// DEL) after percent-decoding, or whose value holds NUL.
	ReasonUnsafeQuery Reason = "unsafe_query"
	// 400: the same for a cookie of a Cookie header.
	ReasonUnsafeCookie Reason = "unsafe_cookie"
	// 400: an X-Original-URL or X-Rewrite-URL header (step 1), which old
	// Symfony, Zend and IIS-era upstreams route by.
	ReasonURLOverride Reason = "url_override"
	// 400: a field of a request body read as a form (a route with
	// auth.owner or auth.body_owner) whose name holds a control character
	// (reqcheck.UnsafeFormName).
	ReasonUnsafeForm Reason = "unsafe_form"
)
