// Placeholder: the Store contract suite is being written.
export {};
