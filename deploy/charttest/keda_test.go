package charttest

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The types below are KEDA's ScaledObject (keda.sh/v1alpha1), copied field for field, with their
// JSON tags, from github.com/kedacore/keda/v2/apis/keda/v1alpha1 at v2.21.0
// (scaledobject_types.go and scaletriggers_types.go), without the status, which a manifest does
// not carry. The tests do not import KEDA's package: it pulls in controller-runtime, client-go
// and more, and compiling this module with it took 3 m 14 s on a cold build cache here, against
// under a minute without it. Decoding into the copy is as strict as into KEDA's types: a field
// KEDA does not know fails the test.

// scaledObject is KEDA's ScaledObject.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec scaledObjectSpec `json:"spec"`
}

// scaledObjectSpec is KEDA's ScaledObjectSpec.
type scaledObjectSpec struct {
	ScaleTargetRef        *scaleTarget     `json:"scaleTargetRef"`
	PollingInterval       *int32           `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32           `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32           `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32           `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32           `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32           `json:"maxReplicaCount,omitempty"`
	Advanced              *advancedConfig  `json:"advanced,omitempty"`
	Triggers              []scaleTriggers  `json:"triggers"`
	Fallback              *fallbackOptions `json:"fallback,omitempty"`
}

// fallbackOptions is KEDA's Fallback.
type fallbackOptions struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"`
}

// advancedConfig is KEDA's AdvancedConfig.
type advancedConfig struct {
	HorizontalPodAutoscalerConfig *horizontalPodAutoscalerConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool                           `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              scalingModifiers               `json:"scalingModifiers,omitempty"`
}

// scalingModifiers is KEDA's ScalingModifiers.
type scalingModifiers struct {
	Formula          string                         `json:"formula,omitempty"`
	Target           string                         `json:"target,omitempty"`
	ActivationTarget string                         `json:"activationTarget,omitempty"`
	MetricType       autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// horizontalPodAutoscalerConfig is KEDA's HorizontalPodAutoscalerConfig.
type horizontalPodAutoscalerConfig struct {
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

// scaleTarget is KEDA's ScaleTarget.
type scaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

// scaleTriggers is KEDA's ScaleTriggers.
type scaleTriggers struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *authenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// authenticationRef is KEDA's AuthenticationRef.
type authenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// natsJetStreamMetadata lists the trigger metadata keys of KEDA's nats-jetstream scaler
// (pkg/scalers/nats_jetstream_scaler.go at v2.21.0), with whether the scaler requires it.
var natsJetStreamMetadata = map[string]bool{
	"natsServerMonitoringEndpoint": true,
	"account":                      false,
	"accountID":                    false,
	"stream":                       true,
	"consumer":                     true,
	"lagThreshold":                 false,
	"activationLagThreshold":       false,
	"useHttps":                     false,
}
