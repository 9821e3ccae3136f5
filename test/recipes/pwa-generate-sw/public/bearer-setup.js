// Runs in the generated worker after sw-bearer's classic build, which set self.swBearer.
swBearer.installTokenInjection({ apiOrigins: ['https://api.example.com'] })
