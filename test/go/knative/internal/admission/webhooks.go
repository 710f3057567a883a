package admission

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/webhook/resourcesemantics"

	defaultconfig "knative.dev/eventing/pkg/apis/config"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	eventingv1alpha1 "knative.dev/eventing/pkg/apis/eventing/v1alpha1"
	eventingv1beta1 "knative.dev/eventing/pkg/apis/eventing/v1beta1"
	eventingv1beta2 "knative.dev/eventing/pkg/apis/eventing/v1beta2"
	"knative.dev/eventing/pkg/apis/feature"
	flowsv1 "knative.dev/eventing/pkg/apis/flows/v1"
	channeldefaultconfig "knative.dev/eventing/pkg/apis/messaging/config"
	messagingv1 "knative.dev/eventing/pkg/apis/messaging/v1"
	"knative.dev/eventing/pkg/apis/sinks"
	sinksv1alpha1 "knative.dev/eventing/pkg/apis/sinks/v1alpha1"
	pingdefaultconfig "knative.dev/eventing/pkg/apis/sources/config"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	sourcesv1alpha1 "knative.dev/eventing/pkg/apis/sources/v1alpha1"
	sourcesv1beta2 "knative.dev/eventing/pkg/apis/sources/v1beta2"

	net "knative.dev/networking/pkg/apis/networking/v1alpha1"
	autoscalingv1alpha1 "knative.dev/serving/pkg/apis/autoscaling/v1alpha1"
	servingconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingv1beta1 "knative.dev/serving/pkg/apis/serving/v1beta1"
	servingwebhook "knative.dev/serving/pkg/webhook"
)

// Serving is the Serving webhook of knative.dev/serving cmd/webhook: its kinds, lenient
// decoding (its CRDs carry schemas), the config store with config-defaults, config-features and
// config-autoscaler, and the Service/Configuration callbacks.
func Serving(ctx context.Context, w *Watcher) (Webhook, error) {
	store := servingconfig.NewStore(logging.FromContext(ctx).Named("config-store"))
	store.WatchConfigs(w)
	if len(w.Missing) > 0 {
		return Webhook{}, fmt.Errorf("serving ConfigMaps missing: %v", w.Missing)
	}
	return Webhook{
		Name: "webhook.serving.knative.dev",
		Types: map[schema.GroupVersionKind]resourcesemantics.GenericCRD{
			servingv1.SchemeGroupVersion.WithKind("Revision"):                &servingv1.Revision{},
			servingv1.SchemeGroupVersion.WithKind("Configuration"):           &servingv1.Configuration{},
			servingv1.SchemeGroupVersion.WithKind("Route"):                   &servingv1.Route{},
			servingv1.SchemeGroupVersion.WithKind("Service"):                 &servingv1.Service{},
			autoscalingv1alpha1.SchemeGroupVersion.WithKind("PodAutoscaler"): &autoscalingv1alpha1.PodAutoscaler{},
			autoscalingv1alpha1.SchemeGroupVersion.WithKind("Metric"):        &autoscalingv1alpha1.Metric{},
			net.SchemeGroupVersion.WithKind("Certificate"):                   &net.Certificate{},
			net.SchemeGroupVersion.WithKind("Ingress"):                       &net.Ingress{},
			net.SchemeGroupVersion.WithKind("ServerlessService"):             &net.ServerlessService{},
			servingv1beta1.SchemeGroupVersion.WithKind("DomainMapping"):      &servingv1beta1.DomainMapping{},
		},
		DisallowUnknownFields: false,
		DefaultingContext:     store.ToContext,
		ValidationContext:     store.ToContext,
		Callbacks: map[schema.GroupVersionKind]func(context.Context, *unstructured.Unstructured) error{
			servingv1.SchemeGroupVersion.WithKind("Service"):       servingwebhook.ValidateService,
			servingv1.SchemeGroupVersion.WithKind("Configuration"): servingwebhook.ValidateConfiguration,
		},
	}, nil
}

// Eventing is the Eventing webhook of knative.dev/eventing cmd/webhook: its kinds, strict
// decoding (unknown fields refused), and the stores its defaulting (defaults, channel defaults,
// features) and validation (those plus PingSource defaults and the sinks config) controllers
// install. No Kubernetes client: nothing the product's objects use reaches for one.
func Eventing(ctx context.Context, w *Watcher) (Webhook, error) {
	logger := logging.FromContext(ctx)
	store := defaultconfig.NewStore(logger.Named("config-store"))
	store.WatchConfigs(w)
	channelStore := channeldefaultconfig.NewStore(logger.Named("channel-config-store"))
	channelStore.WatchConfigs(w)
	pingStore := pingdefaultconfig.NewStore(logger.Named("ping-config-store"))
	pingStore.WatchConfigs(w)
	featureStore := feature.NewStore(logger.Named("feature-config-store"))
	featureStore.WatchConfigs(w)
	if len(w.Missing) > 0 {
		return Webhook{}, fmt.Errorf("eventing ConfigMaps missing: %v", w.Missing)
	}
	return Webhook{
		Name: "webhook.eventing.knative.dev",
		Types: map[schema.GroupVersionKind]resourcesemantics.GenericCRD{
			eventingv1alpha1.SchemeGroupVersion.WithKind("EventPolicy"):      &eventingv1alpha1.EventPolicy{},
			eventingv1alpha1.SchemeGroupVersion.WithKind("EventTransform"):   &eventingv1alpha1.EventTransform{},
			eventingv1alpha1.SchemeGroupVersion.WithKind("RequestReply"):     &eventingv1alpha1.RequestReply{},
			eventingv1beta1.SchemeGroupVersion.WithKind("EventType"):         &eventingv1beta1.EventType{},
			eventingv1beta2.SchemeGroupVersion.WithKind("EventType"):         &eventingv1beta2.EventType{},
			eventingv1.SchemeGroupVersion.WithKind("Broker"):                 &eventingv1.Broker{},
			eventingv1.SchemeGroupVersion.WithKind("Trigger"):                &eventingv1.Trigger{},
			messagingv1.SchemeGroupVersion.WithKind("Channel"):               &messagingv1.Channel{},
			messagingv1.SchemeGroupVersion.WithKind("Subscription"):          &messagingv1.Subscription{},
			sourcesv1alpha1.SchemeGroupVersion.WithKind("IntegrationSource"): &sourcesv1alpha1.IntegrationSource{},
			sourcesv1beta2.SchemeGroupVersion.WithKind("PingSource"):         &sourcesv1beta2.PingSource{},
			sourcesv1.SchemeGroupVersion.WithKind("ApiServerSource"):         &sourcesv1.ApiServerSource{},
			sourcesv1.SchemeGroupVersion.WithKind("PingSource"):              &sourcesv1.PingSource{},
			sourcesv1.SchemeGroupVersion.WithKind("SinkBinding"):             &sourcesv1.SinkBinding{},
			sourcesv1.SchemeGroupVersion.WithKind("ContainerSource"):         &sourcesv1.ContainerSource{},
			sinksv1alpha1.SchemeGroupVersion.WithKind("JobSink"):             &sinksv1alpha1.JobSink{},
			sinksv1alpha1.SchemeGroupVersion.WithKind("IntegrationSink"):     &sinksv1alpha1.IntegrationSink{},
			flowsv1.SchemeGroupVersion.WithKind("Parallel"):                  &flowsv1.Parallel{},
			flowsv1.SchemeGroupVersion.WithKind("Sequence"):                  &flowsv1.Sequence{},
		},
		DisallowUnknownFields: true,
		DefaultingContext: func(ctx context.Context) context.Context {
			return featureStore.ToContext(channelStore.ToContext(store.ToContext(ctx)))
		},
		ValidationContext: func(ctx context.Context) context.Context {
			return sinks.WithConfig(
				featureStore.ToContext(channelStore.ToContext(pingStore.ToContext(store.ToContext(ctx)))),
				&sinks.Config{})
		},
	}, nil
}
