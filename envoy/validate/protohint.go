package validate

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

// protoHint is the did-you-mean of a protojson error about the token at
// steps of the JSON made of an Envoy file, whose top is the message md: an
// unknown field (atKey) against the fields of its message, an enum name
// against the enum's values; "" when none is close or the path cannot be
// followed (a typed_config's message is the one its "@type" names).
func protoHint(md protoreflect.MessageDescriptor, tree *jsonx.Value, steps []any, atKey bool) string {
	v := tree
	var fd protoreflect.FieldDescriptor
	mapKey := false // the next step is a map's key
	for i, s := range steps {
		switch s := s.(type) {
		case int:
			if v.Kind != jsonx.KindArray || s >= len(v.Items) {
				return ""
			}
			v = &v.Items[s]
			continue
		case string:
			next := v.Get(s)
			switch {
			case mapKey:
				mapKey, fd = false, fd.MapValue()
				md = fd.Message()
			case md == nil:
				return ""
			default:
				if md.FullName() == "google.protobuf.Any" {
					t := v.Get("@type")
					if t == nil || t.Kind != jsonx.KindString {
						return ""
					}
					mt, err := protoregistry.GlobalTypes.FindMessageByURL(t.Str)
					if err != nil {
						return ""
					}
					md = mt.Descriptor()
				}
				if i == len(steps)-1 && atKey {
					return config.DidYouMean(s, fieldNames(md))
				}
				if fd = md.Fields().ByName(protoreflect.Name(s)); fd == nil {
					fd = md.Fields().ByJSONName(s)
				}
				if fd == nil {
					return ""
				}
				mapKey, md = fd.IsMap(), fd.Message()
			}
			if next == nil {
				return ""
			}
			v = next
		}
	}
	if fd == nil || fd.Enum() == nil || v.Kind != jsonx.KindString {
		return ""
	}
	values := fd.Enum().Values()
	names := make([]string, values.Len())
	for i := range names {
		names[i] = string(values.Get(i).Name())
	}
	return config.DidYouMean(v.Str, names)
}

// fieldNames are the names a field of md may be written with: its own and
// protojson's lowerCamelCase.
func fieldNames(md protoreflect.MessageDescriptor) []string {
	fields := md.Fields()
	names := make([]string, 0, 2*fields.Len())
	for i := range fields.Len() {
		names = append(names, string(fields.Get(i).Name()), fields.Get(i).JSONName())
	}
	return names
}
