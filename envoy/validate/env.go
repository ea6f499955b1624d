package validate

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"

	"github.com/apiguard/apiguard/filter/config"
)

// Secrets by reference (docs/configuration.md "Secrets from the
// environment"): a policy's `{"env": NAME}` is read from the VM's
// environment, which Envoy fills from vm_config.environment_variables and
// Istio from vmConfig.env. validate checks that every variable a policy
// names is declared there; a declared variable read from the host's
// environment (host_env_keys, Istio valueFrom: HOST) that is not set where
// validate runs is a warning, and a placeholder stands in for it so the
// rest of the policy is still checked.

// Warning is a finding that leaves the file valid.
type Warning struct{ Msg string }

func (w *Warning) Error() string { return "warning: " + w.Msg }

// Env says where a policy's variables come from.
type Env struct {
	// Where names the declaration in messages.
	Where string
	// Values are the variables declared with a value (Envoy key_values,
	// Istio INLINE).
	Values map[string]string
	// Host are the variables read from the host's environment (Envoy
	// host_env_keys, Istio valueFrom: HOST); validate reads them from its
	// own.
	Host map[string]bool
	// Any, for a policy file on its own, reads every variable from
	// validate's own environment.
	Any bool
}

// ProcessEnv is the environment of a policy file on its own: validate's.
var ProcessEnv = Env{Where: "the environment", Any: true}

func (e Env) lookup(name string) (string, bool) {
	if v, ok := e.Values[name]; ok {
		return v, true
	}
	if e.Any || e.Host[name] {
		return os.LookupEnv(name)
	}
	return "", false
}

// EnvoyEnv reads a Wasm filter's vm_config.environment_variables.
func EnvoyEnv(pc *wasmv3.PluginConfig) Env {
	ev := pc.GetVmConfig().GetEnvironmentVariables()
	e := Env{Where: "vm_config.environment_variables", Values: ev.GetKeyValues(), Host: map[string]bool{}}
	for _, k := range ev.GetHostEnvKeys() {
		e.Host[k] = true
	}
	return e
}

// IstioEnv reads a WasmPlugin's vmConfig.env.
func IstioEnv(vmConfig json.RawMessage) (Env, error) {
	e := Env{Where: "vmConfig.env", Values: map[string]string{}, Host: map[string]bool{}}
	if len(vmConfig) == 0 {
		return e, nil
	}
	var vc struct {
		Env []struct {
			Name      string `json:"name"`
			Value     string `json:"value"`
			ValueFrom string `json:"valueFrom"`
		} `json:"env"`
	}
	dec := json.NewDecoder(strings.NewReader(string(vmConfig)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vc); err != nil {
		return e, fmt.Errorf("vmConfig: %w", err)
	}
	for _, v := range vc.Env {
		switch v.ValueFrom {
		case "", "INLINE":
			e.Values[v.Name] = v.Value
		case "HOST":
			e.Host[v.Name] = true
		default:
			return e, fmt.Errorf("vmConfig.env %q: valueFrom must be INLINE or HOST, not %q", v.Name, v.ValueFrom)
		}
	}
	return e, nil
}

// ParsePolicy parses a policy as the plugin will with env as its VM's
// environment. It returns the configuration, the environment to start the
// plugin with (placeholders for host variables not set here), the
// warnings, and the errors: an invalid policy, or a variable env does not
// declare (which the VM could never see).
func ParsePolicy(data []byte, env Env) (*config.Config, map[string]string, []error) {
	var errs []error
	for _, name := range config.EnvRefs(data) {
		if _, ok := env.Values[name]; !env.Any && !ok && !env.Host[name] {
			errs = append(errs, fmt.Errorf("the policy reads environment variable %s, which %s does not declare", name, env.Where))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	cfg, filled, err := config.ParseWithPlaceholders(data, env.lookup)
	if err != nil {
		return nil, nil, []error{err}
	}
	vm := map[string]string{}
	for _, name := range config.EnvRefs(data) {
		if v, ok := env.lookup(name); ok && v != "" {
			vm[name] = v
		}
	}
	names := make([]string, 0, len(filled))
	for name, v := range filled {
		vm[name] = v
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		errs = append(errs, &Warning{Msg: fmt.Sprintf("environment variable %s is not set here: the policy reads it from %s at start (a placeholder stood in for this check)", name, env.Where)})
	}
	return cfg, vm, append(errs, policyWarnings(cfg)...)
}

// Warnings returns the *Warning values of errs.
func Warnings(errs []error) (warnings, others []error) {
	for _, e := range errs {
		if _, ok := e.(*Warning); ok {
			warnings = append(warnings, e)
		} else {
			others = append(others, e)
		}
	}
	return warnings, others
}
