//go:build tools

// Package dataplane is never compiled. It names the packages of Knative's stock data-plane mains
// (cmd/broker/ingress, cmd/broker/filter, cmd/in_memory/channel_dispatcher), which
// scripts/binaries builds from this module: a main package cannot be imported, so without this
// file `go mod tidy` would drop the go.sum lines those builds need (-mod=readonly).
package dataplane

import (
	_ "github.com/kelseyhightower/envconfig"
	_ "knative.dev/eventing/pkg/broker/filter"
	_ "knative.dev/eventing/pkg/broker/ingress"
	_ "knative.dev/eventing/pkg/client/injection/informers/messaging/v1/subscription"
	_ "knative.dev/eventing/pkg/eventtype"
	_ "knative.dev/eventing/pkg/observability/configmap"
	_ "knative.dev/eventing/pkg/observability/otel"
	_ "knative.dev/eventing/pkg/reconciler/inmemorychannel/dispatcher"
	_ "knative.dev/eventing/pkg/requestreply"
	_ "knative.dev/eventing/pkg/utils"
	_ "knative.dev/pkg/configmap/informer"
	_ "knative.dev/pkg/observability/runtime/k8s"
)
