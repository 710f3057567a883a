// knative-broker-controllers runs, in one process out of cluster, the Knative Eventing reconcilers
// a multi-tenant channel-based Broker needs: Broker and Trigger (what cmd/mtchannel_broker
// starts), Channel and Subscription (two of the ~17 cmd/controller starts; the others reconcile
// CRDs the test plane does not install) and the InMemoryChannel controller (cmd/in_memory/
// channel_controller without its webhooks). Each is Knative's own constructor; this file only
// picks them and switches off what needs a pod: leader election and the health probe server.
//
// The data plane is Knative's stock binaries, built in the same go build (scripts/binaries,
// entry `knative`): cmd/broker/ingress, cmd/broker/filter, cmd/in_memory/channel_dispatcher.
package main

import (
	filteredFactory "knative.dev/pkg/client/injection/kube/informers/factory/filtered"
	"knative.dev/pkg/injection/sharedmain"
	"knative.dev/pkg/signals"

	"knative.dev/eventing/pkg/auth"
	"knative.dev/eventing/pkg/eventingtls"
	"knative.dev/eventing/pkg/reconciler/broker"
	mttrigger "knative.dev/eventing/pkg/reconciler/broker/trigger"
	"knative.dev/eventing/pkg/reconciler/channel"
	imc "knative.dev/eventing/pkg/reconciler/inmemorychannel/controller"
	"knative.dev/eventing/pkg/reconciler/subscription"
)

func main() {
	ctx := signals.NewContext()
	// The label-filtered Secret/ConfigMap informers these constructors ask for (the union of what
	// cmd/mtchannel_broker and cmd/controller register).
	ctx = filteredFactory.WithSelectors(ctx, auth.OIDCLabelSelector, eventingtls.TrustBundleLabelSelector)
	// One instance on loopback: no Lease to win, nothing probes it.
	ctx = sharedmain.WithHADisabled(ctx)
	ctx = sharedmain.WithHealthProbesDisabled(ctx)
	sharedmain.MainWithContext(ctx, "knative-broker-controllers",
		broker.NewController,
		mttrigger.NewController,
		channel.NewController,
		subscription.NewController,
		imc.NewController,
	)
}
