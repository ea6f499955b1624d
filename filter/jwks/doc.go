// Package jwks is the shared fetch state of remote key sets: where a
// provider's set and state live in shared data, the state's encoding, the
// fetch lock (one worker fetches at a time; a worker that died holding it
// is replaced once it expires), the backoff after failures and the early
// refetch an unknown kid asks for, and each VM's side of it (Remote: load
// a stored set, fetch when due, follow a discovery document, publish what
// was fetched, log and count; Set: a VM's Remotes, whether a set still
// serves, and the requests waiting for keys). It works over a Store and a
// Host (as ratelimit does), so the plugin only adapts the host's shared
// data, HTTP calls, log and counters.
//
// Shared-data layout, under the plugin's name (property plugin_name) so two
// plugins sharing a vm_id never mix key sets, and under a hash of cluster,
// authority and path so that a configuration pointing a provider elsewhere
// never reuses the old keys:
//
//	<plugin>/jwks2/<provider>/<16 hex>/state  State, 48 bytes
//	<plugin>/jwks2/<provider>/<16 hex>/keys   8-byte version, 8-byte fetch
//	                                          time (Unix ns), then the JWKS
//
// The state holds the version of the stored set, when the next fetch is
// due, the fetch lock (owner and expiry), the failure count for backoff and
// the early-refetch request an unknown kid makes (at most once a minute).
// The fetch time goes with the set, so every worker knows how old the set
// it serves is (max_stale_seconds). (Layout 1 had no fetch time; its values
// are never read.)
//
// Room: a feature (the remote half of step 9). It imports the model
// (config) and leaves (jsonx, jwt); never policy, plugin or proxy. Its
// Discover and LoadedLine read discovery documents and write the log line
// of a loaded set.
package jwks
