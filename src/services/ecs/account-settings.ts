// Handlers for this resource are exported from here (see provider.ts).
export {};
