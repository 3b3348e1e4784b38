// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ReceivableRegistry} from "../../../contracts/finance/ReceivableRegistry.sol";
import {KycTier} from "../../../contracts/interfaces/IKycRegistry.sol";
import {Authorization, FinanceOffer, InvoiceTerms} from "../../../contracts/interfaces/IReceivableRegistry.sol";
import {Roles} from "../../../contracts/libraries/Roles.sol";
import {EscrowDeployment, Signing} from "./EscrowDeployment.sol";

/// @notice The escrow system of {EscrowDeployment} plus the receivable registry, like
/// test/contracts/finance/fixture.ts: suppliers, a debtor and financiers, KYC'd, funded and approved.
abstract contract ReceivableDeployment is EscrowDeployment {
    uint16 internal constant PLATFORM_FEE_BPS = 50;
    uint16 internal constant LATE_FEE_BPS = 1_800;
    uint32 internal constant GRACE_PERIOD = 7 days;
    uint256 internal constant DEBTOR_FUNDS = 1e15 * 1e6;

    address internal supplier = address(0x5A1);
    address internal tier2 = address(0x5A2);
    address internal tier3 = address(0x5A3);
    address internal debtor = address(0xDEB7);
    uint256 internal constant FINANCIER_KEY = 0xF1A;
    uint256 internal constant FINANCIER2_KEY = 0xF1B;
    address internal financier = vm.addr(FINANCIER_KEY);
    address internal financier2 = vm.addr(FINANCIER2_KEY);

    ReceivableRegistry internal registry;

    function _deployRegistry() internal {
        _deploySystem(0);
        registry = new ReceivableRegistry(
            admin, ADMIN_DELAY, kyc, escrow, treasury, PLATFORM_FEE_BPS, LATE_FEE_BPS, GRACE_PERIOD
        );
        vm.startPrank(admin);
        registry.grantRole(Roles.OPERATOR, operator);
        registry.grantRole(Roles.ARBITER, arbiter);
        registry.setTokenAllowed(address(token), true);
        escrow.grantRole(Roles.COLLECTOR, address(registry));
        vm.stopPrank();
        address[6] memory parties = [supplier, tier2, tier3, debtor, financier, financier2];
        for (uint256 i; i < parties.length; ++i) {
            _kyc(parties[i]); // Institutional, far in the future
        }
        address[3] memory payers = [debtor, financier, financier2];
        for (uint256 i; i < payers.length; ++i) {
            vm.prank(issuer);
            token.mint(payers[i], DEBTOR_FUNDS, keccak256(abi.encode("wire", payers[i])));
            vm.prank(payers[i]);
            token.approve(address(registry), type(uint256).max);
        }
    }

    function _self() internal pure returns (Authorization memory) {
        return Authorization({nonce: bytes32(0), deadline: 0, signature: ""});
    }

    /// @notice Issues (by the supplier) and accepts (by the debtor) an invoice of `faceValue` due in `dueIn`.
    function _issueAccepted(uint256 faceValue, uint256 dueIn, bytes32 ref) internal returns (uint256 id) {
        InvoiceTerms memory terms = InvoiceTerms({
            issuer: supplier,
            dueAt: uint48(block.timestamp + dueIn),
            acceptBy: uint48(block.timestamp), // accepted in the same block below
            debtor: debtor,
            token: address(token),
            faceValue: faceValue,
            documentHash: keccak256(abi.encode("docs", ref)),
            invoiceRef: ref
        });
        vm.prank(supplier);
        id = registry.issue(terms, "");
        vm.prank(debtor);
        registry.accept(id, _self());
    }

    /// @notice The financier's EIP-712 signature of `offer` (signed with `key`).
    function _signOffer(uint256 key, FinanceOffer memory offer) internal view returns (bytes memory) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ReceivableRegistry"),
                keccak256("1"),
                block.chainid,
                address(registry)
            )
        );
        bytes32 structHash = keccak256(abi.encode(registry.FINANCE_OFFER_TYPEHASH(), offer));
        return Signing.sign(key, Signing.typedDigest(domain, structHash));
    }

    /// @notice `count` parts of `face`, drawn from `seed`, none zero, summing exactly to `face` (face >= count).
    function _parts(uint256 face, uint256 count, uint256 seed) internal pure returns (uint256[] memory parts) {
        parts = new uint256[](count);
        uint256 left = face;
        for (uint256 i; i < count - 1; ++i) {
            // leave at least 1 for each later part
            uint256 max = left - (count - 1 - i);
            parts[i] = 1 + uint256(keccak256(abi.encode(seed, i))) % max;
            left -= parts[i];
        }
        parts[count - 1] = left;
    }
}
