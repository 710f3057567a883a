module github.com/vmware-tanzu/vm-operator/pkg/constants/testlabels

go 1.24
