package validate

import (
	"encoding/json"
	"fmt"
	"regexp"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// Istio has no field for Envoy's stats_tags, which turn apiguard's metric
// name parts into Prometheus labels. Its long-standing way to add bootstrap
// settings is a ConfigMap named by the pod annotation
// sidecar.istio.io/bootstrapOverride: the sidecar merges its
// custom_bootstrap.json (YAML or JSON) into the generated bootstrap,
// appending repeated fields such as stats_config.stats_tags
// (docs/operating.md "Prometheus labels under Istio").

// BootstrapOverrideKey is the ConfigMap key Istio's sidecar reads.
const BootstrapOverrideKey = "custom_bootstrap.json"

// BootstrapOverride parses the custom_bootstrap.json of a ConfigMap
// document (JSON of the whole manifest document) as Envoy will: strictly
// against the Bootstrap API. It returns nil, nil when the ConfigMap has no
// such key.
func BootstrapOverride(doc []byte) (*bootstrapv3.Bootstrap, error) {
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(doc, &cm); err != nil {
		return nil, err
	}
	raw, ok := cm.Data[BootstrapOverrideKey]
	if !ok {
		return nil, nil
	}
	js, err := yaml.YAMLToJSON([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", BootstrapOverrideKey, err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(js, b); err != nil {
		return nil, fmt.Errorf("%s: %w", BootstrapOverrideKey, err)
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("%s: %w", BootstrapOverrideKey, err)
	}
	for _, t := range b.GetStatsConfig().GetStatsTags() {
		re, err := regexp.Compile(t.GetRegex())
		if err != nil {
			return nil, fmt.Errorf("%s: stats_tags %q: %w", BootstrapOverrideKey, t.GetTagName(), err)
		}
		if re.NumSubexp() < 1 {
			return nil, fmt.Errorf("%s: stats_tags %q: the regex needs a group (the part removed from the name)", BootstrapOverrideKey, t.GetTagName())
		}
	}
	return b, nil
}
