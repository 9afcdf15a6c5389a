// DTOs of the redemption service; filled in with the service.
export {};
