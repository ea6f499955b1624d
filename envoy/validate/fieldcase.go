package validate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// rawMessage is json.RawMessage's type: a free-form member whose inside
// exactFieldCase does not check.
var rawMessage = reflect.TypeOf(json.RawMessage(nil))

// exactFieldCase checks that every member name of the JSON document js
// that the struct type t declares is spelt with its exact letter case.
// encoding/json matches names without regard to case, but Kubernetes does
// not: `failstrategy` is an unknown field there, and the WasmPlugin would
// deploy without its fail strategy. path names where the document is.
func exactFieldCase(js []byte, t reflect.Type, path string) error {
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return err
	}
	return checkFieldCase(v, t, path)
}

func checkFieldCase(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice:
		items, _ := v.([]any)
		for i, item := range items {
			if err := checkFieldCase(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		obj, _ := v.(map[string]any)
		for name, member := range obj {
			f, exact := fieldByJSONName(t, name)
			if f == nil {
				continue // unknown fields are DisallowUnknownFields' to refuse
			}
			tag := jsonName(*f)
			if !exact {
				return fmt.Errorf("%s: unknown field %q (Kubernetes field names are case-sensitive: did you mean %q?)", path, name, tag)
			}
			if err := checkFieldCase(member, f.Type, path+"."+tag); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldByJSONName finds the field of t named name in JSON, exactly or
// (exact false) only without regard to case.
func fieldByJSONName(t reflect.Type, name string) (f *reflect.StructField, exact bool) {
	var folded *reflect.StructField
	for i := range t.NumField() {
		sf := t.Field(i)
		switch tag := jsonName(sf); {
		case tag == name:
			return &sf, true
		case strings.EqualFold(tag, name) && folded == nil:
			folded = &sf
		}
	}
	return folded, false
}

func jsonName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if tag == "" {
		return f.Name
	}
	return tag
}
