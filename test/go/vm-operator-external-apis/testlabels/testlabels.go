// Package testlabels names the Ginkgo labels VM Operator's test builder refers to; the
// manager links the builder's package only through test helpers, so values are plain names.
package testlabels

// Ginkgo labels.
const (
	API        = "api"
	Controller = "controller"
	Create     = "create"
	Crypto     = "crypto"
	Delete     = "delete"
	EnvTest    = "envtest"
	Mutation   = "mutation"
	NSXT       = "nsxt"
	Service    = "service"
	Update     = "update"
	V1Alpha1   = "v1alpha1"
	V1Alpha4   = "v1alpha4"
	V1Alpha5   = "v1alpha5"
	Validation = "validation"
	VCSim      = "vcsim"
	Webhook    = "webhook"
)
