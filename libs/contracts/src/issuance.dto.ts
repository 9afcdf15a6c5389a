// DTOs of the issuance service; filled in with the service.
export {};
