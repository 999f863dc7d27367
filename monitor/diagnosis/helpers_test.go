package diagnosis

// ptr returns a pointer to v, for the optional fields of Detail.
func ptr[T any](v T) *T { return &v }

// neutralSNI is the server name the probes' neutral-SNI cross-check sends.
const neutralSNI = "example.org"
