// Linked with one library whole (cmake/Layering.cmake): the link fails when the library uses a
// module it does not declare.
int main() { return 0; }
