export * from './token.service';
export * from './token-issuer';
export * from './keys';
export * from './secrets-generator';
export * from './roles';
export * from './auth.module';
export * from './acts-for';
