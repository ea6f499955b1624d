//go:build wasip1

// Command filter is the apiguard proxy-wasm module. Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/apiguard.wasm ./filter
//
// The Go runtime never calls main in a c-shared (reactor) module: Envoy calls
// _initialize, which runs init, which registers the plugin with the ABI shim.
package main

import (
	"github.com/apiguard/apiguard/filter/abi"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/plugin"
)

func init() {
	jwt.SetTokenEqual(abi.EqualStrings)
	abi.Register(plugin.New(abi.Host()))
}

func main() {}
