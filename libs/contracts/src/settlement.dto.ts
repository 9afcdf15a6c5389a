// DTOs of the settlement service; filled in with the service.
export {};
