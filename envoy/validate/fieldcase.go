package validate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/apiguard/apiguard/filter/config"
)

// rawMessage is json.RawMessage's type: a free-form member whose inside
// checkFields does not check.
var rawMessage = reflect.TypeOf(json.RawMessage(nil))

// fieldError is a member of a Kubernetes object that its type does not
// have, with the steps (keys, indexes) that lead to its key.
type fieldError struct {
	steps []any
	msg   string
}

// checkFields returns every member name of the JSON document js that the
// struct type t does not declare, in document order as far as a JSON
// object has one (sorted by name within an object). encoding/json matches
// names without regard to case, but Kubernetes does not: `failstrategy` is
// an unknown field there, and the WasmPlugin would deploy without its fail
// strategy; such a name gets the right spelling, and any other a
// suggestion when one is close. path names where the document is.
func checkFields(js []byte, t reflect.Type, path string) ([]fieldError, error) {
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, err
	}
	var out []fieldError
	walkFields(v, t, path, nil, &out)
	return out, nil
}

func walkFields(v any, t reflect.Type, path string, steps []any, out *[]fieldError) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage {
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		items, _ := v.([]any)
		for i, item := range items {
			walkFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), append(slices.Clip(steps), i), out)
		}
	case reflect.Struct:
		obj, _ := v.(map[string]any)
		names := make([]string, 0, len(obj))
		for name := range obj {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			at := append(slices.Clip(steps), name)
			f, exact := fieldByJSONName(t, name)
			switch {
			case f == nil:
				*out = append(*out, fieldError{at, fmt.Sprintf("%s: unknown field %q%s", path, name, config.DidYouMean(name, jsonNames(t)))})
			case !exact:
				*out = append(*out, fieldError{at, fmt.Sprintf("%s: unknown field %q (Kubernetes field names are case-sensitive: did you mean %q?)", path, name, jsonName(*f))})
			default:
				walkFields(obj[name], f.Type, path+"."+jsonName(*f), at, out)
			}
		}
	}
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

func jsonNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = jsonName(t.Field(i))
	}
	return names
}

func jsonName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if tag == "" {
		return f.Name
	}
	return tag
}
