module velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy

go 1.24
